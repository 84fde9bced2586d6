import { defineCommand } from "citty";
import { loadProfile } from "../profile/index";
import { ensureSession } from "../session/registry";
import { placeLines } from "../session/status-text";
import { profileArgs, uiFor } from "./_shared";

export default defineCommand({
  meta: {
    name: "up",
    description: "Start a background session for a profile (agent, proxies, forwards) that outlives this command",
  },
  args: { ...profileArgs },
  async run({ args }) {
    const ui = uiFor(args);
    const profile = await loadProfile(args.profile);
    const { state, started } = await ensureSession(profile, ui);
    if (!started) ui.info(`A session for this profile is already running (pid ${state.pid}); nothing started.`);
    const lines = [`${state.profilePath}  up, pid ${state.pid}`, ...placeLines(state), `  log       ${state.log}`];
    process.stdout.write(`${lines.join("\n")}\n`);
    ui.info(
      `Use it: eval "$(kfwd env ${args.profile})" or kfwd run ${args.profile} -- <command>; stop it: kfwd down ${args.profile}`,
    );
    return 0;
  },
});
