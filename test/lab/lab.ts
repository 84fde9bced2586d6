/**
 * Shared helpers for the lab's acceptance tests: find the running lab (via `lab status`), run the lab's own
 * kubectl, create and delete test objects. When the lab is down the tests skip with a message, unless
 * KFWD_LAB=1 ("the lab is required"), where a missing lab fails the run.
 */
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..", "..");
export const NAMESPACE = "kfwd-e2e";

export interface Lab {
  kubectl: string;
  kubeconfig: string;
  restricted: string;
}

function readStatus(): { lab: Lab } | { reason: string } {
  const res = Bun.spawnSync(["bash", join(ROOT, "lab", "status.sh")], { stdout: "pipe", stderr: "pipe" });
  const out = res.stdout.toString();
  const field = (name: string): string | undefined => out.match(new RegExp(`^${name}: (.+)$`, "m"))?.[1];
  const kubectl = field("kubectl");
  const kubeconfig = field("kubeconfig");
  const restricted = field("kubeconfig-restricted");
  if (res.exitCode !== 0 || !kubectl || !kubeconfig || !restricted) {
    return { reason: `the lab is not up (npm run lab -- status says: ${field("lab") ?? "no answer"})` };
  }
  return { lab: { kubectl, kubeconfig, restricted } };
}

const status = readStatus();
if ("reason" in status) {
  if (process.env.KFWD_LAB === "1") throw new Error(`KFWD_LAB=1 but ${status.reason}; run: npm run lab -- up`);
  console.warn(`skipping lab tests: ${status.reason}; run \`npm run lab -- up\` (as root) to enable them`);
}
export const lab: Lab | undefined = "lab" in status ? status.lab : undefined;
/** Whether the lab tests must skip. */
export const noLab = lab === undefined;

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the lab's kubectl with the admin kubeconfig, or the restricted user's with `as: "restricted"`. */
export async function kubectl(
  args: string[],
  opts: { as?: "admin" | "restricted"; stdin?: string; timeoutMs?: number } = {},
): Promise<Run> {
  if (!lab) throw new Error("the lab is not up");
  const kubeconfig = opts.as === "restricted" ? lab.restricted : lab.kubeconfig;
  const proc = Bun.spawn([lab.kubectl, "--kubeconfig", kubeconfig, "-n", NAMESPACE, ...args], {
    stdin: opts.stdin === undefined ? "ignore" : new Blob([opts.stdin]),
    stdout: "pipe",
    stderr: "pipe",
    timeout: opts.timeoutMs ?? 60_000,
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, stdout, stderr };
}

/** kubectl that must succeed; returns stdout. */
export async function kubectlOk(args: string[], opts: Parameters<typeof kubectl>[1] = {}): Promise<string> {
  const r = await kubectl(args, opts);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

export async function apply(manifest: object, as: "admin" | "restricted" = "admin"): Promise<void> {
  await kubectlOk(["apply", "-f", "-"], { as, stdin: JSON.stringify(manifest) });
}

/** A name unique to this run, so parallel or leftover runs never collide. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e4)}`;
}

/** The securityContext Pod Security "restricted" asks of every container. */
export const RESTRICTED_CONTAINER = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ["ALL"] },
  runAsNonRoot: true,
  seccompProfile: { type: "RuntimeDefault" },
} as const;

export const TESTAPP_IMAGE = "kfwd.local/testapp:1";
export const BUN_IMAGE = "docker.io/oven/bun:1.4.5-slim";

/** A 2-replica testapp Deployment behind a Service of the same name (HTTP 8080, TCP echo 9000). */
export function testappObjects(name: string): object[] {
  const labels = { app: name, "app.kubernetes.io/managed-by": "kfwd-lab-test" };
  return [
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
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
                image: TESTAPP_IMAGE,
                imagePullPolicy: "IfNotPresent",
                ports: [{ containerPort: 8080 }, { containerPort: 9000 }],
                readinessProbe: { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 1 },
                securityContext: { ...RESTRICTED_CONTAINER, runAsUser: 65532 },
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name, labels },
      spec: {
        selector: { app: name },
        ports: [
          { name: "http", port: 8080, targetPort: 8080 },
          { name: "echo", port: 9000, targetPort: 9000 },
        ],
      },
    },
  ];
}

/** A pod running the Bun image idle, to run clients from inside the cluster with `kubectl exec`. */
export function bunPod(name: string): object {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels: { "app.kubernetes.io/managed-by": "kfwd-lab-test" } },
    spec: {
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: "bun",
          image: BUN_IMAGE,
          imagePullPolicy: "IfNotPresent",
          command: ["/usr/local/bin/bun", "-e", "setInterval(() => {}, 1 << 30)"],
          securityContext: { ...RESTRICTED_CONTAINER, runAsUser: 1000 },
        },
      ],
    },
  };
}

export async function podIPs(app: string): Promise<Map<string, string>> {
  const out = await kubectlOk(["get", "pods", "-l", `app=${app}`, "-o", "json"]);
  const list = JSON.parse(out) as { items: { metadata: { name: string }; status: { podIP?: string } }[] };
  return new Map(list.items.flatMap((p) => (p.status.podIP ? [[p.metadata.name, p.status.podIP] as const] : [])));
}

/** Runs a script with Bun inside a pod; returns its stdout. */
export async function bunInPod(pod: string, script: string): Promise<string> {
  return kubectlOk(["exec", pod, "--", "/usr/local/bin/bun", "-e", script]);
}
