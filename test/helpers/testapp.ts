/**
 * The lab's test workload, kfwd.local/testapp:1 (lab/images/testapp: HTTP on 8080 with /hello, /healthz,
 * /bytes/<n>, /env/<name>; a TCP echo on 9000), as a Deployment (or a bare Pod) behind a Service of the same
 * name. One builder for every lab test and the cluster benchmarks; options say what differs.
 */
import { apiPath } from "../../src/kube/api-path";
import { KubeClient } from "../../src/kube/client";
import type { Lab } from "./lab";
import { restrictedContainer, waitDeploymentReady } from "./lab-objects";

export const TESTAPP_IMAGE = "kfwd.local/testapp:1";

export interface TestappOptions {
  name: string;
  /** A Deployment (default) or a bare Pod named `name`. */
  kind?: "Deployment" | "Pod";
  /** Deployment replicas (default 2). */
  replicas?: number;
  /** Labels beside `app: <name>` on every object and pod (default: managed-by kfwd-test). */
  labels?: Record<string, string>;
  env?: object[];
  envFrom?: object[];
  /** More containers in the pod, beside the testapp's `app`. */
  sidecars?: object[];
  /** The Service's ports by name (default: http 8080, echo 9000). */
  ports?: Record<string, number>;
}

export interface TestappObjects {
  service: object;
  workload: object;
}

/** The Service and the workload; create the Service first, so the pods get its service-link variables. */
export function testapp(o: TestappOptions): TestappObjects {
  const labels = { app: o.name, ...(o.labels ?? { "app.kubernetes.io/managed-by": "kfwd-test" }) };
  const metadata = { name: o.name, labels };
  const podSpec = {
    terminationGracePeriodSeconds: 1,
    containers: [
      {
        name: "app",
        image: TESTAPP_IMAGE,
        imagePullPolicy: "IfNotPresent",
        ports: [{ containerPort: 8080 }, { containerPort: 9000 }],
        readinessProbe: { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 1 },
        ...(o.env ? { env: o.env } : {}),
        ...(o.envFrom ? { envFrom: o.envFrom } : {}),
        securityContext: restrictedContainer(65532),
      },
      ...(o.sidecars ?? []),
    ],
  };
  const workload =
    o.kind === "Pod"
      ? { apiVersion: "v1", kind: "Pod", metadata, spec: podSpec }
      : {
          apiVersion: "apps/v1",
          kind: "Deployment",
          metadata,
          spec: {
            replicas: o.replicas ?? 2,
            selector: { matchLabels: { app: o.name } },
            template: { metadata: { labels }, spec: podSpec },
          },
        };
  const ports = Object.entries(o.ports ?? { http: 8080, echo: 9000 }).map(([name, port]) => ({
    name,
    port,
    targetPort: port,
  }));
  const service = { apiVersion: "v1", kind: "Service", metadata, spec: { selector: { app: o.name }, ports } };
  return { service, workload };
}

export const SECRET_VALUE = "s3cret-from-a-Secret";

export interface TestApp {
  name: string;
  admin: KubeClient;
  namespace: string;
  remove(): Promise<void>;
}

/**
 * A 2-replica testapp in the lab's namespace whose env holds a Secret's value (DB_PASSWORD) and the pod's name
 * (MY_POD_NAME), created as the admin (the restricted Role may not create Deployments); returns once ready.
 */
export async function createTestApp(lab: Lab, name: string): Promise<TestApp> {
  const admin = await KubeClient.fromKubeconfig({ kubeconfig: lab.admin, namespace: lab.namespace });
  const ns = lab.namespace;
  const { service, workload } = testapp({
    name,
    env: [
      { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name, key: "password" } } },
      { name: "MY_POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
    ],
  });
  await admin.create(apiPath({ resource: "secrets", namespace: ns }), {
    metadata: { name, labels: { app: name, "app.kubernetes.io/managed-by": "kfwd-test" } },
    stringData: { password: SECRET_VALUE },
  });
  await admin.create(apiPath({ resource: "services", namespace: ns }), service);
  await admin.create(apiPath({ group: "apps", resource: "deployments", namespace: ns }), workload);
  await waitDeploymentReady(admin, ns, name, 2);
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
