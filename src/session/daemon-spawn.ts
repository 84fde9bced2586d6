/**
 * Starting a background session: kfwd runs itself, detached (a session and process group of its own, so the
 * terminal's Ctrl-C and hang-up do not reach it), with stdout/stderr in the session's log file. The caller
 * waits until the state file names the new process (it is ready), or until the process exits (then its
 * error is read back from the log and thrown here, as if the session had been started in the foreground).
 */
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, rmSync } from "node:fs";
import { isErrorCode, KfwdError } from "../errors";
import type { Profile } from "../profile/index";
import type { Ui } from "../ui/log";
import { ERROR_MARKER } from "./daemon";
import { readState, sessionPaths, type SessionState } from "./state";

/** The hidden command the background process runs (src/commands/_session.ts). */
export const DAEMON_COMMAND = "_session";

/** Beyond the agent's own start timeout: proxies, forwards and the first env call. */
const READY_MARGIN_MS = 30_000;

/**
 * How to run this same kfwd again. Compiled, process.execPath is the kfwd binary and Bun.main a path in its
 * embedded file system (/$bunfs/..., B:/~BUN/... on Windows); from source, execPath is bun and the entry
 * script has to be named too.
 */
export function selfCommand(): string[] {
  const main = Bun.main;
  const compiled = main.startsWith("/$bunfs/") || /^[A-Za-z]:[\\/]~BUN[\\/]/.test(main);
  return !compiled && existsSync(main) ? [process.execPath, main] : [process.execPath];
}

export async function spawnSession(profile: Profile, ui: Ui): Promise<SessionState> {
  const paths = sessionPaths(profile.id);
  const log = openSync(paths.log, "w", 0o600);
  const [file, ...args] = selfCommand() as [string, ...string[]];
  const child = spawn(file, [...args, DAEMON_COMMAND, profile.source.path], {
    detached: true,
    stdio: ["ignore", log, log],
    // Not the caller's directory: a long-lived process should not keep a directory busy (unmounts, rm -r).
    cwd: "/",
    env: daemonEnv(process.env),
  });
  closeSync(log);
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let spawnError: Error | undefined;
  child.once("exit", (code, signal) => (exited = { code, signal }));
  child.once("error", (e) => (spawnError = e));
  child.unref();

  const limitMs = profile.agent.start_timeout + READY_MARGIN_MS;
  const deadline = Date.now() + limitMs;
  const progress = logFollower(paths.log, ui);
  while (true) {
    progress();
    if (spawnError)
      throw new KfwdError(
        "KFWD_SESSION_START_FAILED",
        `Cannot start the background session: ${spawnError.message}`,
        `kfwd runs itself (${file}) for it; check that the file is still there.`,
      );
    const state = readState(profile.id);
    if (state && state.pid === child.pid) return state;
    if (exited) {
      progress();
      throw failure(paths.log, exited);
    }
    if (Date.now() > deadline) {
      child.kill("SIGTERM");
      throw new KfwdError(
        "KFWD_SESSION_START_TIMEOUT",
        `Cannot start a session for "${profile.source.path}": not ready after ${Math.round(limitMs / 1000)}s`,
        `See its log: ${paths.log}`,
      );
    }
    await Bun.sleep(20);
  }
}

/**
 * The environment the background process starts with. A shell that has eval'd `kfwd env` carries another
 * session's proxy variables (KFWD_SOCKS marks them); a new session must not send its own traffic (the
 * Kubernetes API calls, with Bun's fetch honouring HTTP(S)_PROXY) through that other session's agent.
 */
export function daemonEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (env.KFWD_SOCKS === undefined) return env;
  const names = ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"].flatMap((n) => [n, n.toLowerCase()]);
  return Object.fromEntries(
    Object.entries(env).filter(([n]) => !names.includes(n) && n !== "KFWD_SOCKS" && n !== "KFWD_HTTP"),
  );
}

/**
 * Shows the background process's progress and warnings on our stderr as they are written, like a foreground
 * start. Its error report is left out: `failure` turns that into our own error, printed once.
 */
function logFollower(path: string, ui: Ui): () => void {
  let shown = 0;
  return () => {
    const text = readOr(path);
    const complete = text.lastIndexOf("\n") + 1;
    if (complete <= shown) return;
    for (const line of text.slice(shown, complete).split("\n")) {
      // Warnings are shown even when quiet (not a terminal), as Ui.warn does in the foreground.
      if (line.startsWith("kfwd: warning:") || (line.startsWith("kfwd [") && ui.verbosity !== "quiet"))
        process.stderr.write(`${line}\n`);
    }
    shown = complete;
  };
}

function failure(log: string, exited: { code: number | null; signal: NodeJS.Signals | null }): KfwdError {
  const text = readOr(log);
  const marked = text.split("\n").find((line) => line.startsWith(ERROR_MARKER));
  if (marked) {
    try {
      const data = JSON.parse(marked.slice(ERROR_MARKER.length)) as { code: string; message: string; hint?: string };
      // The error says it all; a log of a session that never ran is not worth keeping.
      rmSync(log, { force: true });
      // The same kfwd wrote it, so the code is known; anything else is reported as a failed start.
      return new KfwdError(isErrorCode(data.code) ? data.code : "KFWD_SESSION_START_FAILED", data.message, data.hint);
    } catch {
      // fall through to the generic report
    }
  }
  const how = exited.signal ? `was killed by ${exited.signal}` : `exited with code ${exited.code}`;
  const tail = text.trimEnd().split("\n").slice(-15).join("\n");
  return new KfwdError(
    "KFWD_SESSION_START_FAILED",
    `Cannot start the background session: it ${how}${tail ? `\n${tail}` : ""}`,
    `Its log: ${log}`,
  );
}

function readOr(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}
