/**
 * What kfwd left in the lab for a session or a profile (its agent Jobs and pods), and a way to kill its agent
 * processes, for the cluster launch tests.
 */
import { apiPath } from "../../../../src/kube/api-path";
import { execTransport } from "../../../../src/kube/exec";
import type { TestApp } from "../../../helpers/testapp";

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
