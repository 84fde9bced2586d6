/**
 * Rules that span several keys (one target kind, auth in pairs, loopback unless exposed, distinct ports),
 * and the shaping they allow: `target` becomes a tagged union and `proxy` credentials one optional `auth`,
 * so code using a Profile can't see a half-set or contradictory combination.
 */
import type { Problem } from "./read";
import type { RawProfile, WorkloadKind } from "./schema";
import { formatPath } from "./toml-text";
import { isLoopbackHost, type HostPort } from "./values";

/** What the session runs beside. `none` is targetless: an agent pod in the namespace. */
export type Target =
  | { kind: "pod"; name: string; container?: string }
  | { kind: "workload"; workload: WorkloadKind; name: string; container?: string }
  | { kind: "service"; name: string; container?: string }
  | { kind: "local"; netns?: string }
  | { kind: "none" };

type RawProxy = RawProfile["proxy"];
/** Flattens an intersection into one object type, so editors show the plain shape. */
type Simplify<T> = { [K in keyof T]: T[K] } & {};

export type ProxySettings = Simplify<
  Omit<RawProxy, "username" | "password"> & { auth?: { username: string; password: string } }
>;

export type ShapedProfile = Simplify<Omit<RawProfile, "target" | "proxy"> & { target: Target; proxy: ProxySettings }>;

/** `incomplete` names arrays of tables that lost entries (see SchemaReading); index-naming checks skip them. */
export function applyRules(
  raw: RawProfile,
  problems: Problem[],
  incomplete: ReadonlySet<string> = new Set(),
): ShapedProfile {
  const { target: _t, proxy: _p, ...rest } = raw;
  const target = shapeTarget(raw.target, problems);
  const proxy = shapeProxy(raw.proxy, problems);
  if (!incomplete.has("forward")) checkPorts(raw, problems);
  checkIncoming(raw, target, problems);
  return { ...rest, target, proxy };
}

function shapeTarget(t: RawProfile["target"], problems: Problem[]): Target {
  const kinds = (["pod", "workload", "service", "local"] as const).filter((k) => t[k] !== undefined && t[k] !== false);
  const [first, second] = kinds;
  if (second !== undefined) {
    problems.push({
      path: ["target", second],
      message: `Conflicting keys "target.${first}" and "target.${second}": a session has one target`,
      fix: `Keep one of ${kinds.map((k) => `"${k}"`).join(", ")} in [target] and remove the others.`,
    });
  }
  if (t.netns !== undefined && first !== "local") {
    problems.push({
      path: ["target", "netns"],
      message: `"target.netns" only applies with "target.local = true"`,
      fix: "Add local = true to [target], or remove netns.",
    });
  }
  if (t.container !== undefined && (first === "local" || first === undefined)) {
    problems.push({
      path: ["target", "container"],
      message: `"target.container" needs a pod, workload or service target`,
      fix:
        first === "local"
          ? "Remove container: a local target has no containers."
          : 'Add pod = "...", workload = "..." or service = "..." to [target], or remove container.',
    });
  }
  const container = t.container !== undefined ? { container: t.container } : {};
  if (t.pod !== undefined && first === "pod") return { kind: "pod", name: t.pod, ...container };
  if (t.workload !== undefined && first === "workload")
    return { kind: "workload", workload: t.workload.kind, name: t.workload.name, ...container };
  if (t.service !== undefined && first === "service") return { kind: "service", name: t.service, ...container };
  if (first === "local") return t.netns !== undefined ? { kind: "local", netns: t.netns } : { kind: "local" };
  return { kind: "none" };
}

function shapeProxy(p: RawProxy, problems: Problem[]): ProxySettings {
  const { username, password, ...rest } = p;
  for (const key of ["socks", "http"] as const) {
    if (!p.expose && !isLoopbackHost(p[key].host)) {
      problems.push({
        path: ["proxy", key],
        message: `The ${key} proxy would listen on "${p[key].host}", which other machines can reach`,
        fix: `Use a loopback address such as "127.0.0.1:${p[key].port}", or set expose = true in [proxy] (anyone who can connect gets the pod's network access: also set username and password).`,
      });
    }
  }
  if ((username === undefined) !== (password === undefined)) {
    const missing = username === undefined ? "username" : "password";
    const given = username === undefined ? "password" : "username";
    problems.push({
      path: ["proxy", given],
      message: `"proxy.${given}" is set without "proxy.${missing}"`,
      fix: `Set both username and password in [proxy], or neither.`,
    });
  }
  if (p.expose && username === undefined && password === undefined) {
    problems.push({
      path: ["proxy", "expose"],
      message:
        "expose = true needs username and password: anyone who can reach the port would get the pod's network access",
      fix: 'Add username = "..." and password = "..." to [proxy], or remove expose.',
    });
  }
  if (username !== undefined && password !== undefined) return { ...rest, auth: { username, password } };
  return rest;
}

/** Two listeners on one port would fail at start-up; say so now, naming both keys. */
function checkPorts(raw: RawProfile, problems: Problem[]): void {
  const seen = new Map<number, string>();
  const claim = (hp: HostPort, path: (string | number)[]): void => {
    if (hp.port === 0) return;
    const name = formatPath(path);
    const other = seen.get(hp.port);
    if (other === undefined) {
      seen.set(hp.port, name);
      return;
    }
    problems.push({
      path,
      message: `Port ${hp.port} is used by both "${other}" and "${name}"`,
      fix: "Give each forward and proxy its own port.",
    });
  };
  claim(raw.proxy.socks, ["proxy", "socks"]);
  claim(raw.proxy.http, ["proxy", "http"]);
  for (const [i, f] of raw.forward.entries()) claim(f.local, ["forward", i, "local"]);
}

/** [incoming] takes a Service's traffic: it needs a cluster target, and filters need a mode that routes requests. */
function checkIncoming(raw: RawProfile, target: Target, problems: Problem[]): void {
  const i = raw.incoming;
  const set = (["ports", "header", "path"] as const).filter((k) =>
    k === "ports" ? i.ports.length > 0 : i[k] !== undefined,
  );
  if (i.mode === undefined) {
    if (set[0] !== undefined)
      problems.push({
        path: ["incoming", set[0]],
        message: `"incoming.${set[0]}" is set without "incoming.mode"`,
        fix: 'Add mode = "steal", "mirror" or "replace" to [incoming], or remove the section.',
      });
    return;
  }
  if (target.kind === "local" || target.kind === "none")
    problems.push({
      path: ["incoming", "mode"],
      message: `[incoming] needs a cluster target whose traffic to take, and [target] ${target.kind === "local" ? "is local" : "names none"}`,
      fix: 'Set service = "<name>" (or pod/workload) in [target].',
    });
  if (i.mode === "replace")
    for (const key of ["header", "path"] as const)
      if (i[key] !== undefined)
        problems.push({
          path: ["incoming", key],
          message: `"incoming.${key}" filters requests, but mode "replace" takes all of the workload's traffic`,
          fix: 'Use mode = "steal" with the filter (the rest keeps going to the pods), or remove the filter.',
        });
}
