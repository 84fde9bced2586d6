/**
 * Fixtures for the cluster-target lab tests: a testapp Deployment (2 replicas) with a Secret-backed variable,
 * a Service, and profiles that drive the compiled kfwd as the restricted user. Objects are created with the
 * admin kubeconfig (the restricted Role may not create Deployments) and removed afterwards.
 */
import { apiPath } from "../../../src/kube/api-path";
import { KubeClient } from "../../../src/kube/client";
import { execTransport } from "../../../src/kube/exec";
import { writeProfile } from "../../helpers/kfwd";
import type { Lab } from "../../kube/helpers/lab";

export const SECRET_VALUE = "s3cret-from-a-Secret";

const RESTRICTED = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ["ALL"] },
  runAsNonRoot: true,
  runAsUser: 65532,
  seccompProfile: { type: "RuntimeDefault" },
};

export interface TestApp {
  name: string;
  admin: KubeClient;
  namespace: string;
  remove(): Promise<void>;
}

export async function createTestApp(lab: Lab, name: string): Promise<TestApp> {
  const admin = await KubeClient.fromKubeconfig({ kubeconfig: lab.admin, namespace: lab.namespace });
  const ns = lab.namespace;
  const labels = { app: name, "app.kubernetes.io/managed-by": "kfwd-test" };
  await admin.create(apiPath({ resource: "secrets", namespace: ns }), {
    metadata: { name, labels },
    stringData: { password: SECRET_VALUE },
  });
  await admin.create(apiPath({ resource: "services", namespace: ns }), {
    metadata: { name, labels },
    spec: {
      selector: { app: name },
      ports: [
        { name: "http", port: 8080 },
        { name: "echo", port: 9000 },
      ],
    },
  });
  await admin.create(apiPath({ group: "apps", resource: "deployments", namespace: ns }), {
    metadata: { name, labels },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [
            {
              name: "app",
              image: "kfwd.local/testapp:1",
              imagePullPolicy: "IfNotPresent",
              ports: [{ containerPort: 8080 }, { containerPort: 9000 }],
              readinessProbe: { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 1 },
              env: [
                { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name, key: "password" } } },
                { name: "MY_POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
              ],
              securityContext: RESTRICTED,
            },
          ],
        },
      },
    },
  });
  const deadline = Date.now() + 120_000;
  for (;;) {
    const d = await admin.get<{ status?: { readyReplicas?: number } }>(
      apiPath({ group: "apps", resource: "deployments", namespace: ns, name }),
    );
    if (d.status?.readyReplicas === 2) break;
    if (Date.now() > deadline) throw new Error(`deployment ${name} not ready: ${JSON.stringify(d.status)}`);
    await Bun.sleep(500);
  }
  return {
    name,
    admin,
    namespace: ns,
    async remove() {
      const q = { query: { propagationPolicy: "Background" }, ignoreNotFound: true };
      await admin.delete(apiPath({ group: "apps", resource: "deployments", namespace: ns, name }), q);
      await admin.delete(apiPath({ resource: "services", namespace: ns, name }), q);
      await admin.delete(apiPath({ resource: "secrets", namespace: ns, name }), q);
    },
  };
}

/** A profile for the restricted user; `target` is TOML for [target] (empty: targetless). */
export function labProfile(lab: Lab, target: string, agent = ""): string {
  return writeProfile(
    `[cluster]\nkubeconfig = "${lab.restricted}"\nnamespace = "${lab.namespace}"\n[target]\n${target}\n[agent]\n${agent}\n`,
  );
}

/** Jobs and pods (kfwd's agent objects) labelled with this session id. */
export async function sessionObjects(app: TestApp, session: string): Promise<string[]> {
  const labelSelector = `kfwd.dev/session=${session}`;
  const jobs = await app.admin.list<{ metadata: { name: string } }>(
    apiPath({ group: "batch", resource: "jobs", namespace: app.namespace }),
    { labelSelector },
  );
  const pods = await app.admin.list<{ metadata: { name: string } }>(
    apiPath({ resource: "pods", namespace: app.namespace }),
    { labelSelector },
  );
  return [...jobs.items.map((j) => `job/${j.metadata.name}`), ...pods.items.map((p) => `pod/${p.metadata.name}`)];
}

/** The session id of the agent Job started for `profilePath` (its annotation names the profile). */
export async function sessionOf(
  app: TestApp,
  profilePath: string,
): Promise<{ session: string; pod: string } | undefined> {
  const pods = await app.admin.list<{
    metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
    status?: { phase?: string };
  }>(apiPath({ resource: "pods", namespace: app.namespace }), { labelSelector: "app.kubernetes.io/managed-by=kfwd" });
  const mine = pods.items.find(
    (p) => p.metadata.annotations?.["kfwd.dev/profile"] === profilePath && p.status?.phase === "Running",
  );
  const session = mine?.metadata.labels?.["kfwd.dev/session"];
  return mine && session ? { session, pod: mine.metadata.name } : undefined;
}

/** SIGKILL every agent process in the agent container (Bun stands in for `kill`: the image has no shell). */
export async function killAgents(app: TestApp, pod: string, container = "kfwd-agent"): Promise<void> {
  const script =
    `const fs=require("fs");for(const p of fs.readdirSync("/proc")){if(!/^\\d+$/.test(p)||+p===process.pid)continue;` +
    `try{if(fs.readFileSync("/proc/"+p+"/cmdline","latin1").includes("__kfwdAgentLeftover"))process.kill(+p,"SIGKILL")}catch{}}`;
  const t = await execTransport(app.admin, {
    namespace: app.namespace,
    pod,
    container,
    command: ["/usr/local/bin/bun", "-e", script],
    stdin: false,
  });
  await new Promise<void>((resolve) => t.onClose(() => resolve()));
}

/** kfwd's Jobs and pods whose annotation names this profile (whatever their session). */
export async function profileObjects(app: TestApp, profilePath: string): Promise<string[]> {
  type Obj = { metadata: { name: string; annotations?: Record<string, string> } };
  const labelSelector = "app.kubernetes.io/managed-by=kfwd";
  const jobs = await app.admin.list<Obj>(apiPath({ group: "batch", resource: "jobs", namespace: app.namespace }), {
    labelSelector,
  });
  const pods = await app.admin.list<Obj>(apiPath({ resource: "pods", namespace: app.namespace }), { labelSelector });
  const mine = (o: Obj) => o.metadata.annotations?.["kfwd.dev/profile"] === profilePath;
  return [
    ...jobs.items.filter(mine).map((j) => `job/${j.metadata.name}`),
    ...pods.items.filter(mine).map((p) => `pod/${p.metadata.name}`),
  ];
}
