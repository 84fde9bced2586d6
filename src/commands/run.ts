import { defineCommand } from "citty";
import { KfwdError } from "../errors";
import { loadProfile } from "../profile/index";
import { runChild } from "../session/child";
import { sessionConfigFrom } from "../session/config";
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
      throw new KfwdError("KFWD_USAGE", "Cannot run: no command given", `Put the command after "--": kfwd run ${args.profile} -- <command...>`);
    }
    const ui = uiFor(args);
    const profile = await loadProfile(args.profile);
    const session = await startSession(sessionConfigFrom(profile, ui), ui);
    try {
      ui.step(`Running ${command.join(" ")}`);
      return await runChild(command, { ...process.env, ...session.env });
    } finally {
      await session.stop();
    }
  },
});
