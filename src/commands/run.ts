import { defineCommand } from "citty";
import { checkArgumentSpace, fitEnv } from "../env/limits";
import { withHostOptions } from "../env/option-vars";
import { KfwdError } from "../errors";
import { loadProfile } from "../profile/index";
import { insideCommand, type TransparentPlace } from "../capabilities/transparent/index";
import { runChild } from "../session/child";
import { sessionConfigFrom } from "../session/config";
import { findSession, sessionEnv } from "../session/registry";
import { startSession } from "../session/session";
import type { SessionState } from "../session/state";
import { argsAfterDashDash, profileArgs, uiFor } from "./_shared";

export default defineCommand({
  meta: {
    name: "run",
    description: "Run a command with the pod's environment and network: kfwd run <profile> -- <command...>",
  },
  args: {
    ...profileArgs,
    transparent: {
      type: "boolean",
      description:
        "Linux: run the command in its own network namespace where every TCP connection and DNS lookup goes through the agent (no root needed)",
    },
  },
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
    const transparent = args.transparent || profile.reach.transparent;
    // What is known before anything starts (the pod's variables come later and are checked then).
    checkArgumentSpace(command, { ...process.env, ...profile.env.set });
    const warn = (m: string): void => ui.warn(m);
    // A background session (kfwd up) for this profile is reused as it is: nothing started, nothing stopped.
    const running = await findSession(profile.id);
    if (running) {
      ui.step(`Using the running session (pid ${running.pid}); running ${command.join(" ")}`);
      const argv = transparent ? insideCommand(command, transparentPlace(running, args.profile), running) : command;
      const env = { ...process.env, ...withHostOptions(process.env, await sessionEnv(running)) };
      return await runChild(argv, fitEnv(env, argv, warn));
    }
    const session = await startSession(sessionConfigFrom(profile, ui, { transparent }), ui);
    try {
      // The command's first connections stay on the link they open on: let the port-forward link come up first.
      await session.tunnel.extraLinkSettled();
      ui.step(`Running ${command.join(" ")}`);
      const argv = session.commandLine(command);
      return await runChild(argv, fitEnv({ ...process.env, ...withHostOptions(process.env, session.env) }, argv, warn));
    } finally {
      await session.stop();
    }
  },
});

/** Where a background session's transparent relay is; a session started without it cannot run one. */
function transparentPlace(state: SessionState, profile: string): TransparentPlace {
  const data = state.capabilities.transparent?.data as Partial<TransparentPlace> | undefined;
  if (typeof data?.socket === "string" && typeof data.resolvConf === "string")
    return { socket: data.socket, resolvConf: data.resolvConf };
  throw new KfwdError(
    "KFWD_TRANSPARENT_NOT_IN_SESSION",
    "Cannot run in transparent mode: the running session for this profile was started without it",
    `Stop it (kfwd down ${profile}) and run again, or set [reach] transparent = true in the profile before kfwd up.`,
  );
}
