/**
 * Where background sessions are written down: one directory per user (private, 0700), and in it per session
 * `<id>.json` (the state file, 0600), `<id>.sock` (its control socket), `<id>.log` (the process's output)
 * and, while one is being started, `<id>.lock`. The profile id names all of them, so there is at most one
 * session per profile.
 */
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CapabilityReport } from "../capabilities/capability";
import { KfwdError } from "../errors";

export interface SessionState {
  /** The background process. */
  pid: number;
  profileId: string;
  profilePath: string;
  /** The target as the profile names it ("local agent in netns \"lab\"", "deployment/checkout in shop"). */
  target: string;
  /** What each capability said about itself once started (where its proxies, forwards... listen), by name. */
  capabilities: Record<string, CapabilityReport>;
  /** The ports the session serves on the host's loopback and the paths it binds (for transparent mode). */
  loopbackPorts: number[];
  binds: Array<[host: string, container: string]>;
  /** ISO time the session became ready. */
  startedAt: string;
  socket: string;
  log: string;
}

/** $XDG_RUNTIME_DIR/kfwd (per-user, cleared at logout), else /tmp/kfwd-<uid>. */
export function stateDir(): string {
  const xdg = process.env.XDG_RUNTIME_DIR;
  const dir = xdg ? join(xdg, "kfwd") : join("/tmp", `kfwd-${process.getuid?.() ?? "user"}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  checkPrivate(dir);
  return dir;
}

/**
 * The directory holds sockets that hand out the pod's env (secrets included) and proxy credentials. In a
 * shared /tmp someone else could have made it first, so it must be a real directory, ours, and closed to others.
 */
function checkPrivate(dir: string): void {
  const st = lstatSync(dir);
  const uid = process.getuid?.();
  if (!st.isDirectory() || (uid !== undefined && st.uid !== uid)) {
    throw new KfwdError(
      "KFWD_STATE_DIR_UNSAFE",
      `Cannot use "${dir}" for session state: it is not a directory owned by you`,
      `Remove it (or set XDG_RUNTIME_DIR to a private directory) and try again.`,
    );
  }
  if ((st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
}

export const sessionPaths = (id: string, dir = stateDir()) => ({
  state: join(dir, `${id}.json`),
  socket: join(dir, `${id}.sock`),
  log: join(dir, `${id}.log`),
  lock: join(dir, `${id}.lock`),
});

/** Written whole under a temporary name, then renamed: a reader never sees half a file. */
export function writeState(state: SessionState): void {
  const path = sessionPaths(state.profileId).state;
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(temp, path);
}

export function readState(id: string): SessionState | undefined {
  try {
    return parseState(readFileSync(sessionPaths(id).state, "utf8"));
  } catch {
    return undefined;
  }
}

/** Every state file in the directory; unreadable ones (a crash mid-write from an older version) are dropped. */
export function listStates(): SessionState[] {
  const dir = stateDir();
  const states: SessionState[] = [];
  for (const entry of readdirSync(dir)) {
    if (!entry.endsWith(".json")) continue;
    const state = readState(entry.slice(0, -".json".length));
    if (state) states.push(state);
    else rmSync(join(dir, entry), { force: true });
  }
  return states.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
}

/**
 * Everything a session leaves in the state directory: its own files and its capabilities' (`<id>.*`), but
 * not the start lock, which whoever holds it removes.
 */
export function removeSessionFiles(id: string, keepLog = false): void {
  const paths = sessionPaths(id);
  const dir = stateDir();
  const capabilityFiles = readdirSync(dir)
    .filter((name) => name.startsWith(`${id}.`))
    .map((name) => join(dir, name))
    .filter((path) => path !== paths.lock);
  for (const path of new Set([paths.state, paths.socket, ...capabilityFiles])) {
    if (keepLog && path === paths.log) continue;
    rmSync(path, { force: true });
  }
  if (!keepLog) rmSync(paths.log, { force: true });
}

function parseState(text: string): SessionState | undefined {
  const value: unknown = JSON.parse(text);
  if (typeof value !== "object" || value === null) return undefined;
  const s = value as Partial<SessionState>;
  if (typeof s.pid !== "number" || typeof s.profileId !== "string" || typeof s.socket !== "string") return undefined;
  const loopbackPorts = Array.isArray(s.loopbackPorts) ? s.loopbackPorts.filter(Number.isInteger) : [];
  const binds = Array.isArray(s.binds)
    ? s.binds.filter(
        (b): b is [string, string] => Array.isArray(b) && b.length === 2 && b.every((x) => typeof x === "string"),
      )
    : [];
  return { ...(s as SessionState), capabilities: reports(s.capabilities), loopbackPorts, binds };
}

/** Capability reports as written by a session; anything malformed (another kfwd build's file) is left out. */
export function reports(value: unknown): Record<string, CapabilityReport> {
  const out: Record<string, CapabilityReport> = {};
  if (typeof value !== "object" || value === null) return out;
  for (const [name, report] of Object.entries(value)) {
    const r = report as Partial<CapabilityReport> | null;
    if (!r || !Array.isArray(r.lines) || typeof r.data !== "object" || r.data === null) continue;
    out[name] = { lines: r.lines.filter((l): l is string => typeof l === "string"), data: r.data };
  }
  return out;
}
