/**
 * Which cluster sessions are alive on this machine. Every running session — `kfwd run` in the foreground as
 * much as a background one — keeps a marker `<state dir>/live/<cluster session id>` holding its pid, so
 * `kfwd clean` never removes an agent that a session here still uses, however old it is.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isAlive } from "./pid";
import { stateDir } from "./state";

const liveDir = (): string => {
  const dir = join(stateDir(), "live");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
};

/** Mark a session alive; returns what removes the mark. */
export function markLive(clusterSessionId: string): () => void {
  const file = join(liveDir(), clusterSessionId);
  writeFileSync(file, String(process.pid), { mode: 0o600 });
  return () => rmSync(file, { force: true });
}

/** Ids of sessions whose process still runs; marks of dead processes are removed on the way. */
export function liveClusterSessions(): Set<string> {
  const live = new Set<string>();
  const dir = liveDir();
  for (const id of readdirSync(dir)) {
    const pid = Number(readFileSync(join(dir, id), "utf8").trim());
    if (isAlive(pid)) live.add(id);
    else rmSync(join(dir, id), { force: true });
  }
  return live;
}
