/** The lab's own kubectl, as the admin or the restricted user, for the tests of the lab itself. */
import { lab } from "../../helpers/lab";

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the lab's kubectl in the lab's namespace with the admin kubeconfig, or the restricted user's. */
export async function kubectl(
  args: string[],
  opts: { as?: "admin" | "restricted"; stdin?: string; timeoutMs?: number } = {},
): Promise<Run> {
  if (!lab) throw new Error("the lab is not up");
  const kubeconfig = opts.as === "restricted" ? lab.restricted : lab.admin;
  const proc = Bun.spawn([lab.kubectl, "--kubeconfig", kubeconfig, "-n", lab.namespace, ...args], {
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

export async function podIPs(app: string): Promise<Map<string, string>> {
  const out = await kubectlOk(["get", "pods", "-l", `app=${app}`, "-o", "json"]);
  const list = JSON.parse(out) as { items: { metadata: { name: string }; status: { podIP?: string } }[] };
  return new Map(list.items.flatMap((p) => (p.status.podIP ? [[p.metadata.name, p.status.podIP] as const] : [])));
}

/** Runs a script with Bun inside a pod; returns its stdout. */
export async function bunInPod(pod: string, script: string): Promise<string> {
  return kubectlOk(["exec", pod, "--", "/usr/local/bin/bun", "-e", script]);
}
