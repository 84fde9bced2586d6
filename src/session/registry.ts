/**
 * The running background sessions, as the state directory and their control sockets tell it. Every read
 * checks that a session is really there: a state file whose process is gone (kill -9, a reboot) or whose
 * socket no longer answers is stale, and is cleaned up on sight.
 */
import { readFileSync } from "node:fs";
import type { EnvRewrite } from "../env/pipeline";
import type { Profile } from "../profile/index";
import type { Ui } from "../ui/log";
import { ControlError, controlRequest, type SessionStats } from "./control";
import { DAEMON_COMMAND, spawnSession } from "./daemon-spawn";
import { isAlive, tryLock, waitForExit } from "./pid";
import { listStates, readState, removeSessionFiles, sessionPaths, type SessionState } from "./state";

export type Probe =
  | { kind: "running"; state: SessionState; stats: SessionStats }
  /** The process is there but does not answer in time: left alone by status, stopped by `down`. */
  | { kind: "unresponsive"; state: SessionState; reason: string }
  /** Gone; its files have been removed. */
  | { kind: "stale"; state: SessionState; reason: string };

export async function probe(state: SessionState): Promise<Probe> {
  if (!isAlive(state.pid)) return clean(state, `its process (pid ${state.pid}) is gone`);
  try {
    const { stats } = await controlRequest(state.socket, "status", 2000);
    return { kind: "running", state, stats };
  } catch (e) {
    if (!(e instanceof ControlError) || e.kind !== "dead")
      return { kind: "unresponsive", state, reason: String((e as Error).message) };
    // Alive but nobody listens. If the pid is still our session process (its socket was deleted), stop it
    // rather than orphan it; if the pid was reused by something else, leave that process alone.
    if (isOurProcess(state)) await terminate(state.pid);
    return clean(state, "its control socket does not answer");
  }
}

function clean(state: SessionState, reason: string): Probe {
  removeSessionFiles(state.profileId);
  return { kind: "stale", state, reason };
}

/** Every session in the state directory, probed (stale ones are cleaned and reported as such). */
export async function listSessions(): Promise<Probe[]> {
  return Promise.all(listStates().map(probe));
}

/** The live session for a profile, or undefined (after cleaning a stale one). */
export async function findSession(profileId: string): Promise<SessionState | undefined> {
  const state = readState(profileId);
  if (!state) return undefined;
  const found = await probe(state);
  return found.kind === "stale" ? undefined : found.state;
}

/**
 * The profile's running session, started in the background if there is none. A start lock makes two
 * commands racing for the same profile share one session: the loser waits for the winner's.
 */
export async function ensureSession(profile: Profile, ui: Ui): Promise<{ state: SessionState; started: boolean }> {
  const lock = sessionPaths(profile.id).lock;
  while (true) {
    const running = await findSession(profile.id);
    if (running) return { state: running, started: false };
    const release = tryLock(lock);
    if (!release) {
      await Bun.sleep(100);
      continue;
    }
    try {
      const again = await findSession(profile.id);
      if (again) return { state: again, started: false };
      return { state: await spawnSession(profile, ui), started: true };
    } finally {
      release();
    }
  }
}

export async function sessionEnv(state: SessionState): Promise<Record<string, string>> {
  return (await controlRequest(state.socket, "env")).env;
}

/** The changes the session's rewrite stages made to pod and profile values (`kfwd env --explain`). */
export async function sessionRewrites(state: SessionState): Promise<EnvRewrite[]> {
  const { rewrites } = await controlRequest(state.socket, "env");
  return Array.isArray(rewrites) ? rewrites : [];
}

/** How long a session gets to stop its agent and clean up after "stop", and then after SIGTERM. */
const STOP_GRACE_MS = 10_000;
const TERM_GRACE_MS = 3_000;

/**
 * Stop one session: ask it over the control socket (it stops its agent and proxies and removes its files),
 * then SIGTERM, then SIGKILL if it does not go. Whatever it left behind is removed afterwards.
 */
export async function stopSession(state: SessionState): Promise<"stopped" | "terminated" | "killed" | "gone"> {
  let how: "stopped" | "terminated" | "killed" | "gone" = "gone";
  if (isAlive(state.pid)) {
    const asked = await controlRequest(state.socket, "stop", 2000).then(
      () => true,
      () => false,
    );
    if (asked && (await waitForExit(state.pid, STOP_GRACE_MS))) how = "stopped";
    else how = await terminate(state.pid);
  }
  removeSessionFiles(state.profileId);
  return how;
}

async function terminate(pid: number): Promise<"terminated" | "killed" | "gone"> {
  if (!signal(pid, "SIGTERM")) return "gone";
  if (await waitForExit(pid, TERM_GRACE_MS)) return "terminated";
  signal(pid, "SIGKILL");
  await waitForExit(pid, 2000);
  return "killed";
}

function signal(pid: number, name: NodeJS.Signals): boolean {
  try {
    process.kill(pid, name);
    return true;
  } catch {
    return false;
  }
}

/** On Linux, the pid's command line names our hidden command and this profile; elsewhere we cannot tell. */
function isOurProcess(state: SessionState): boolean {
  try {
    const argv = readFileSync(`/proc/${state.pid}/cmdline`, "utf8").split("\0");
    return argv.includes(DAEMON_COMMAND) && argv.includes(state.profilePath);
  } catch {
    return false;
  }
}
