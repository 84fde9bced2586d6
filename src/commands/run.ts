import { defineCommand } from "citty";
import { withHostOptions } from "../env/option-vars";
import { KfwdError } from "../errors";
import { loadProfile } from "../profile/index";
import { runChild } from "../session/child";
import { sessionConfigFrom } from "../session/config";
import { findSession, sessionEnv } from "../session/registry";
import { startSession } from "../session/session";
import { argsAfterDashDash, profileArgs, uiFor } from "./_shared";

export default defineCommand({
  meta: {
    name: "run",
    description: "Run a command with the pod's environment and network: kfwd run <profile> -- <command...>",
  },
  args: { ...profileArgs },
  async run({ args, rawArgs }) {
    const command = argsAfterDashDash(rawArgs);
    if (command.length === 0) {
      throw new KfwdError(
        "KFWD_USAGE",
        "Cannot run: no command given",
        `Put the command after "--": kfwd run ${args.profile} -- <command...>`,
      );
    }
    const ui = uiFor(args);
    const profile = await loadProfile(args.profile);
    // A background session (kfwd up) for this profile is reused as it is: nothing started, nothing stopped.
    const running = await findSession(profile.id);
    if (running) {
      ui.step(`Using the running session (pid ${running.pid}); running ${command.join(" ")}`);
      return await runChild(command, { ...process.env, ...withHostOptions(process.env, await sessionEnv(running)) });
    }
    const session = await startSession(sessionConfigFrom(profile, ui), ui);
    try {
      ui.step(`Running ${command.join(" ")}`);
      return await runChild(command, { ...process.env, ...withHostOptions(process.env, session.env) });
    } finally {
      await session.stop();
    }
  },
});
