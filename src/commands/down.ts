import { defineCommand } from "citty";
import { resolve } from "node:path";
import { isKfwdError, KfwdError } from "../errors";
import { loadProfile } from "../profile/index";
import { listSessions, stopSession, type Probe } from "../session/registry";
import { profileArgs, uiFor } from "./_shared";

export default defineCommand({
  meta: {
    name: "down",
    description: "Stop background sessions: their agents, proxies and forwards, and the files they keep",
  },
  args: {
    profile: { type: "positional", description: "The profile (or session id) whose session to stop", required: false },
    all: { type: "boolean", description: "Stop every session of this user" },
    verbose: profileArgs.verbose,
    quiet: profileArgs.quiet,
  },
  async run({ args }) {
    const ui = uiFor(args);
    const sessions = (await listSessions()).filter((p) => p.kind !== "stale");
    if (!args.all && args.profile === undefined) {
      throw new KfwdError("KFWD_USAGE", "Cannot stop: name a profile, or give --all", running(sessions));
    }
    const chosen = args.all ? sessions : await matching(sessions, args.profile as string);
    if (chosen.length === 0 && !args.all) {
      throw new KfwdError(
        "KFWD_SESSION_NOT_FOUND",
        `Cannot stop "${args.profile}": no session is running for it`,
        running(sessions),
      );
    }
    // One at a time would make `down --all` as slow as the sum of every agent's shutdown.
    await Promise.all(
      chosen.map(async (p) => {
        const how = await stopSession(p.state);
        if (how === "killed")
          ui.warn(`${p.state.profilePath}: the session did not stop in time and was killed (pid ${p.state.pid})`);
        process.stdout.write(`Stopped ${p.state.profilePath} (pid ${p.state.pid})\n`);
      }),
    );
    if (chosen.length === 0) ui.info("No sessions were running.");
    return 0;
  },
});

/** A profile path matches by its resolved path, or through its id if the file still loads; an id matches itself. */
async function matching(sessions: Probe[], arg: string): Promise<Probe[]> {
  let id: string | undefined;
  try {
    id = (await loadProfile(arg)).id;
  } catch (e) {
    // The file may be gone or broken by now; its session can still be stopped by path.
    if (!isKfwdError(e)) throw e;
  }
  const path = resolve(arg);
  return sessions.filter((p) => p.state.profileId === id || p.state.profileId === arg || p.state.profilePath === path);
}

function running(sessions: Probe[]): string {
  if (sessions.length === 0) return "No session is running (kfwd status lists them).";
  return `Running: ${sessions.map((p) => p.state.profilePath).join(", ")}. Or: kfwd down --all`;
}
