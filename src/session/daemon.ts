/**
 * The background process behind `kfwd up`: it starts the session (agent, proxies, forwards), serves the
 * control socket, writes the state file — last, so a state file means "ready" — and runs until asked to stop.
 * Its stdout/stderr are the session's log file; `kfwd up` reads its first error back from there.
 */
import { isKfwdError } from "../errors";
import { loadProfile, type Profile } from "../profile/index";
import { Ui } from "../ui/log";
import { sessionConfigFrom } from "./config";
import { serveControl } from "./control-server";
import type { SessionStats } from "./control";
import { startSession, type Session } from "./session";
import { removeSessionFiles, sessionPaths, writeState, type SessionState } from "./state";

/** A line in the log that `kfwd up` turns back into the error the background process failed with. */
export const ERROR_MARKER = "kfwd-error: ";

export async function runDaemon(profilePath: string): Promise<number> {
  const ui = new Ui("verbose");
  let profile: Profile;
  let session: Session;
  try {
    profile = await loadProfile(profilePath);
    session = await startSession(sessionConfigFrom(profile, ui), ui);
    // Ready once the port-forward link is up (bounded): clients' connections stay on the link they open on.
    await session.tunnel.extraLinkSettled();
  } catch (error) {
    reportForUp(error);
    throw error;
  }
  const paths = sessionPaths(profile.id);
  const startedAt = Date.now();

  let stopping: Promise<void> | undefined;
  let release = (): void => {};
  const finished = new Promise<void>((resolve) => (release = resolve));
  const shutdown = (why: string): Promise<void> => {
    stopping ??= (async () => {
      ui.step(`Stopping (${why})`);
      // State first: from this moment on no command takes this session for a running one.
      removeSessionFiles(profile.id, true);
      await control.close();
      await session.stop();
      ui.step("Stopped");
      release();
    })();
    return stopping;
  };

  const control = await serveControl(paths.socket, {
    status: () => ({ stats: statsOf(session, startedAt) }),
    env: () => ({ env: session.env, rewrites: [...session.rewrites] }),
    stop: () => void shutdown("kfwd down"),
  });
  for (const signal of ["SIGTERM", "SIGINT"] as const) process.on(signal, () => void shutdown(signal));
  // Started in a session of its own, so no terminal hangs up on it; a stray SIGHUP must not end it either.
  process.on("SIGHUP", () => ui.step("Ignoring SIGHUP"));

  writeState(stateOf(profile, session, startedAt, paths));
  ui.step(`Ready: pid ${process.pid}, control socket ${paths.socket}`);
  await finished;
  return 0;
}

function stateOf(
  profile: Profile,
  session: Session,
  startedAt: number,
  paths: ReturnType<typeof sessionPaths>,
): SessionState {
  return {
    pid: process.pid,
    profileId: profile.id,
    profilePath: profile.source.path,
    target: session.tunnel.launcher.label,
    capabilities: session.describe(),
    loopbackPorts: [...session.place().loopbackPorts],
    binds: session.place().binds.map(([host, container]): [string, string] => [host, container]),
    startedAt: new Date(startedAt).toISOString(),
    socket: paths.socket,
    log: paths.log,
  };
}

function statsOf(session: Session, startedAt: number): SessionStats {
  const s = session.tunnel.stats();
  return {
    pid: process.pid,
    state: s.state,
    agent: session.tunnel.description,
    uptimeMs: Date.now() - startedAt,
    openStreams: s.openStreams,
    bytesSent: s.bytesSent,
    bytesReceived: s.bytesReceived,
    rttMs: s.rttMs,
    reconnects: s.reconnects,
    links: session.tunnel.linkStats(),
    capabilities: session.stats(),
  };
}

/** The error as data, for `kfwd up` to rethrow with the same code, message and hint. */
function reportForUp(error: unknown): void {
  const data = isKfwdError(error)
    ? { code: error.code, message: error.message, hint: error.hint }
    : { code: "KFWD_SESSION_FAILED", message: error instanceof Error ? error.message : String(error) };
  process.stderr.write(`${ERROR_MARKER}${JSON.stringify(data)}\n`);
}
