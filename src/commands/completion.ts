import { defineCommand } from "citty";
import { completionScript, SHELLS, type Shell } from "../completion/index";
import { KfwdError } from "../errors";

export default defineCommand({
  meta: {
    name: "completion",
    description:
      "Print the shell completion script: source <(kfwd completion bash), or zsh, or kfwd completion fish | source",
  },
  args: {
    shell: { type: "positional", description: "bash, zsh or fish", valueHint: SHELLS.join("|"), required: true },
  },
  async run({ args }) {
    if (!(SHELLS as readonly string[]).includes(args.shell))
      throw new KfwdError(
        "KFWD_USAGE",
        `Cannot print completions for "${args.shell}": unknown shell`,
        `Use one of: ${SHELLS.join(", ")}.`,
      );
    process.stdout.write(await completionScript(args.shell as Shell));
    return 0;
  },
});
