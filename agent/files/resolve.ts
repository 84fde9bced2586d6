/**
 * Following symlinks inside the target's filesystem without leaving a confined tree. The kubelet lays Secret
 * and ConfigMap volumes out as `key -> ..data/key`, `..data -> ..2026_11_26_...`: those must be followed. A link
 * to /etc/passwd or ../../.. must not: read through /proc/<pid>/root, an absolute link would even resolve in
 * the agent's own filesystem. So every component is resolved here, one lstat at a time, and the result — a
 * path with no link left in it — must lie inside `confine`.
 */
import { lstatSync, readlinkSync } from "node:fs";

const MAX_HOPS = 40;

export type Resolved = { ok: true; path: string } | { ok: false; reason: string };

const split = (p: string): string[] => p.split("/").filter((s) => s !== "" && s !== ".");

export function within(confine: string, path: string): boolean {
  return confine === "/" || path === confine || path.startsWith(`${confine}/`);
}

/**
 * `path` (absolute, in the container's view) with every symlink resolved as the container would, reading
 * through `prefix` ("/proc/<pid>/root", or "" for the agent's own view). Fails for a path outside `confine`,
 * a missing component or a loop.
 */
export function resolveWithin(prefix: string, confine: string, path: string): Resolved {
  const done: string[] = [];
  let todo = split(path);
  let hops = 0;
  while (todo.length > 0) {
    const name = todo.shift() as string;
    if (name === "..") {
      done.pop();
      continue;
    }
    const candidate = `/${[...done, name].join("/")}`;
    let isLink: boolean;
    try {
      isLink = lstatSync(prefix + candidate).isSymbolicLink();
    } catch (error) {
      return { ok: false, reason: `cannot read ${candidate}: ${(error as NodeJS.ErrnoException).code ?? error}` };
    }
    if (!isLink) {
      done.push(name);
      continue;
    }
    if (++hops > MAX_HOPS) return { ok: false, reason: `too many symlinks (a loop?) at ${candidate}` };
    const target = readlinkSync(prefix + candidate);
    if (target.startsWith("/")) done.length = 0;
    todo = [...split(target), ...todo];
  }
  const resolved = `/${done.join("/")}`;
  return within(confine, resolved)
    ? { ok: true, path: resolved }
    : { ok: false, reason: `a link that leads outside ${confine} (to ${resolved})` };
}
