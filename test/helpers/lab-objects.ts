/**
 * Kubernetes objects the lab tests create: pods that pass Pod Security "restricted" and idle, namespaces where
 * the restricted user holds a given Role, and waits until they run.
 */
import { apiPath } from "../../src/kube/api-path";
import type { KubeClient } from "../../src/kube/client";

/** The securityContext Pod Security "restricted" asks of every container, running as `uid`. */
export function restrictedContainer(uid: number) {
  return {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
    runAsNonRoot: true,
    runAsUser: uid,
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/** Images the lab imports into containerd. The Bun stand-in holds bun and nothing else: no sh, cat or sleep. */
export const BUN_IMAGE = "docker.io/oven/bun:1.4.5-slim";

/** `bun -e` scripts that stand in for shell tools in that image. */
export const BUN_CAT = ["bun", "-e", "process.stdin.pipe(process.stdout)"];
const BUN_SLEEP = ["bun", "-e", "setTimeout(() => {}, 900_000)"];

/** A pod that passes Pod Security "restricted" and idles, for exec tests. */
export function idlePod(name: string, image = BUN_IMAGE): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels: { "app.kubernetes.io/managed-by": "kfwd-test", "kfwd.test/suite": "kube" } },
    spec: {
      restartPolicy: "Never",
      activeDeadlineSeconds: 900,
      terminationGracePeriodSeconds: 0,
      automountServiceAccountToken: false,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 1000,
        runAsGroup: 1000,
        seccompProfile: { type: "RuntimeDefault" },
      },
      containers: [
        {
          name: "main",
          image,
          imagePullPolicy: "IfNotPresent",
          command: BUN_SLEEP,
          securityContext: {
            allowPrivilegeEscalation: false,
            capabilities: { drop: ["ALL"] },
            readOnlyRootFilesystem: true,
          },
          resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "1", memory: "512Mi" } },
        },
      ],
    },
  };
}

interface PodStatus {
  status?: { phase?: string; containerStatuses?: { state?: { waiting?: { reason?: string; message?: string } } }[] };
}

/** Create the pod and wait until it runs; fails fast on a waiting reason like ErrImageNeverPull. */
export async function createRunningPod(
  client: KubeClient,
  namespace: string,
  pod: Record<string, unknown>,
  timeoutMs = 120_000,
): Promise<string> {
  const name = (pod.metadata as { name: string }).name;
  await client.create(apiPath({ resource: "pods", namespace }), pod);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const p = await client.get<PodStatus>(apiPath({ resource: "pods", namespace, name }));
    if (p.status?.phase === "Running") return name;
    const waiting = p.status?.containerStatuses?.[0]?.state?.waiting;
    if (waiting?.reason && /Err|BackOff|Invalid/.test(waiting.reason))
      throw new Error(`pod ${name}: ${waiting.reason}: ${waiting.message ?? ""}`);
    if (p.status?.phase === "Failed" || p.status?.phase === "Succeeded")
      throw new Error(`pod ${name} ended: ${JSON.stringify(p.status)}`);
    if (Date.now() > deadline)
      throw new Error(`pod ${name} not running after ${timeoutMs} ms: ${JSON.stringify(p.status)}`);
    await Bun.sleep(500);
  }
}

/**
 * A namespace (Pod Security "restricted") where the lab's restricted user holds a Role named kfwd with
 * `rules` — the shipped Role, or one lacking a rule — as a cluster admin would grant it.
 */
export async function namespaceWithRole(admin: KubeClient, ns: string, rules: readonly object[]): Promise<void> {
  await admin.create("/api/v1/namespaces", {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: ns, labels: { "pod-security.kubernetes.io/enforce": "restricted" } },
  });
  const rbac = (resource: string) => apiPath({ group: "rbac.authorization.k8s.io", resource, namespace: ns });
  await admin.create(rbac("roles"), {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "Role",
    metadata: { name: "kfwd" },
    rules,
  });
  await admin.create(rbac("rolebindings"), {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: { name: "kfwd" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "kfwd" },
    subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "kfwd-dev" }],
  });
}

/** Waits until the Deployment has `replicas` ready pods. */
export async function waitDeploymentReady(
  client: KubeClient,
  namespace: string,
  name: string,
  replicas: number,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = await client.get<{ status?: { readyReplicas?: number } }>(
      apiPath({ group: "apps", resource: "deployments", namespace, name }),
    );
    if (d.status?.readyReplicas === replicas) return;
    if (Date.now() > deadline) throw new Error(`deployment ${name} not ready: ${JSON.stringify(d.status)}`);
    await Bun.sleep(500);
  }
}
