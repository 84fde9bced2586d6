import { defineCommand } from "citty";
import { runDaemon } from "../session/daemon";

/**
 * The background process of `kfwd up` / `kfwd env`: not for people to run (hidden from help). It is kfwd
 * itself, so the session runs the same code and version as the command that started it.
 */
export default defineCommand({
  meta: { name: "_session", description: "Internal: run a background session (started by kfwd up)", hidden: true },
  args: {
    profile: { type: "positional", description: "Absolute path to the profile", required: true },
  },
  run: ({ args }) => runDaemon(args.profile),
});
