import type { ArgsDef } from "citty";
import { Ui, type Verbosity } from "../ui/log";

/** Flags every command that works on a profile shares. */
export const profileArgs = {
  profile: { type: "positional", description: "Path to the kfwd profile (TOML)", required: true },
  verbose: { type: "boolean", alias: "v", description: "Show progress even when stderr is not a terminal" },
  quiet: { type: "boolean", alias: "q", description: "Show nothing but warnings and errors" },
} as const satisfies ArgsDef;

export function uiFor(flags: { verbose?: boolean | undefined; quiet?: boolean | undefined }): Ui {
  const verbosity: Verbosity = flags.quiet
    ? "quiet"
    : flags.verbose
      ? "verbose"
      : process.stderr.isTTY
        ? "normal"
        : "quiet";
  return new Ui(verbosity);
}

/** The words after the first "--" (the command kfwd starts), or [] if there is none. */
export function argsAfterDashDash(rawArgs: readonly string[]): string[] {
  const at = rawArgs.indexOf("--");
  return at === -1 ? [] : rawArgs.slice(at + 1);
}
