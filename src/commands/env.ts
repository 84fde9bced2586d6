import { defineCommand } from "citty";
import { fitEnv } from "../env/limits";
import { KfwdError } from "../errors";
import { ENV_FORMATS, formatEnv, formatUnset, isEnvFormat, type Formatted } from "../env/format";
import { hostOptionsWithoutKfwd, withHostOptions } from "../env/option-vars";
import { proxyVariables } from "../env/proxy-vars";
import { loadProfile, type Profile } from "../profile/index";
import { explainRewrites } from "../env/explain";
import { ensureSession, findSession, sessionEnv, sessionRewrites } from "../session/registry";
import type { Ui } from "../ui/log";
import { profileArgs, uiFor } from "./_shared";

export default defineCommand({
  meta: {
    name: "env",
    description:
      'Print the pod\'s env and the proxy variables for a shell: eval "$(kfwd env <profile>)" (starts a session if none runs)',
  },
  args: {
    ...profileArgs,
    format: {
      type: "string",
      alias: "f",
      default: "sh",
      valueHint: ENV_FORMATS.join("|"),
      description: "sh (bash, zsh), fish, powershell, dotenv (an env file), or json",
    },
    explain: {
      type: "boolean",
      description: "List the values kfwd changed for this machine (variable: pod value → new value) instead",
    },
    unset: {
      type: "boolean",
      description: "Print what removes these variables again (the session keeps running: kfwd down stops it)",
    },
  },
  async run({ args }) {
    const format = args.format;
    if (!isEnvFormat(format)) {
      throw new KfwdError(
        "KFWD_USAGE",
        `Cannot print the env as "${format}": unknown format`,
        `Use one of: ${ENV_FORMATS.join(", ")}.`,
      );
    }
    const ui = uiFor(args);
    const profile = await loadProfile(args.profile);
    let out: Formatted;
    if (args.explain) {
      const { state } = await ensureSession(profile, ui);
      process.stdout.write(explainRewrites(await sessionRewrites(state)));
      return 0;
    }
    if (args.unset) {
      if (format === "dotenv")
        throw new KfwdError(
          "KFWD_USAGE",
          "Cannot print --unset as dotenv: an env file cannot remove variables",
          "Use --format sh, fish, powershell or json.",
        );
      // The user's own NODE_OPTIONS/JAVA_TOOL_OPTIONS (kfwd's part taken out) are set back, not unset.
      const restore = hostOptionsWithoutKfwd(process.env);
      const names = (await namesToUnset(profile, ui)).filter((n) => restore[n] === undefined);
      const unset = formatUnset(names, format);
      if (format === "json") {
        const nulls = JSON.parse(unset.text) as Record<string, null>;
        out = { text: `${JSON.stringify({ ...nulls, ...restore }, null, 2)}\n`, skipped: unset.skipped };
      } else {
        const set = formatEnv(restore, format);
        out = { text: unset.text + set.text, skipped: [...unset.skipped, ...set.skipped] };
      }
    } else {
      const { state, started } = await ensureSession(profile, ui);
      if (started) ui.info(`Started a background session (pid ${state.pid}); stop it with: kfwd down ${args.profile}`);
      // A variable no command could receive would break every command the shell runs: skip it (warned).
      out = formatEnv(
        fitEnv(withHostOptions(process.env, await sessionEnv(state)), [], (m) => ui.warn(m)),
        format,
      );
    }
    for (const { name, reason } of out.skipped) ui.warn(`Skipped variable ${JSON.stringify(name)}: ${reason}`);
    process.stdout.write(out.text);
    return 0;
  },
});

/**
 * The names the env output set. A running session knows them all; without one (it was stopped already),
 * the proxy variables and the profile's `[env] set` are what can still be named — the pod's own are not.
 */
async function namesToUnset(profile: Profile, ui: Ui): Promise<string[]> {
  const state = await findSession(profile.id);
  if (state) return Object.keys(await sessionEnv(state));
  ui.warn(
    "No session is running for this profile: only the proxy variables and [env] set are unset, not the pod's variables.",
  );
  const endpoint = { host: "127.0.0.1", port: 0 };
  return [
    ...Object.keys(proxyVariables({ socks: endpoint, http: endpoint, direct: [] })),
    ...Object.keys(profile.env.set),
  ];
}
