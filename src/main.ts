import { type ArgsDef, defineCommand, runCommand, showUsage, type CommandDef, type Resolvable } from "citty";
import { checkFlags } from "./commands/flags";
import { commands } from "./commands/index";
import { isKfwdError } from "./errors";
import { nearest } from "./profile/suggest";
import { bold, red } from "./ui/log";
import { VERSION, versionLine } from "./version";

export { VERSION } from "./version";

const root = defineCommand({
  meta: {
    name: "kfwd",
    version: VERSION,
    description: "Run host code as if it lived inside a Kubernetes pod: its env, its network, no root.",
  },
  subCommands: commands,
});

/** Exit codes kfwd itself uses; a child's own exit code passes through `kfwd run` unchanged. */
export const EXIT = { ok: 0, error: 1, usage: 2 } as const;

/**
 * The CLI edge: the one place errors are printed. Help and version flags are looked for only before "--",
 * so `kfwd run p.toml -- curl -h` passes -h to curl.
 */
export async function main(argv: string[]): Promise<number> {
  const dash = argv.indexOf("--");
  const ownArgs = dash === -1 ? argv : argv.slice(0, dash);
  try {
    if (ownArgs.includes("--help") || ownArgs.includes("-h") || argv.length === 0) {
      // citty colours help unless NO_COLOR is exactly "1"; follow the usual rule (any value, or not a TTY).
      if (process.env.NO_COLOR !== undefined || !process.stdout.isTTY) process.env.NO_COLOR = "1";
      const [cmd, parent] = await resolveForUsage(ownArgs);
      await showUsage(cmd, parent);
      return argv.length === 0 ? EXIT.usage : EXIT.ok;
    }
    if (ownArgs.length === 1 && (ownArgs[0] === "--version" || ownArgs[0] === "-V")) {
      process.stdout.write(`${versionLine()}\n`);
      return EXIT.ok;
    }
    const name = ownArgs[0];
    if (name !== undefined && !name.startsWith("-") && !(name in commands)) {
      const visible = Object.keys(commands).filter((c) => !c.startsWith("_"));
      const guess = nearest(name, visible);
      process.stderr.write(
        `${red("kfwd:")} Unknown command "${name}".${guess ? ` Did you mean "${guess}"?` : ""} Commands: ${visible.join(", ")}\n`,
      );
      return EXIT.usage;
    }
    // citty drops a sub-command's return value, so the sub-command is run directly: it returns the exit code.
    const loader = name === undefined ? undefined : commands[name];
    if (!loader) {
      await showUsage(root as CommandDef);
      return EXIT.usage;
    }
    const command = await loader();
    checkFlags(name ?? "", (await resolveArgs(command.args)) ?? {}, argv.slice(1));
    const { result } = await runCommand(command, { rawArgs: argv.slice(1) });
    return typeof result === "number" ? result : EXIT.ok;
  } catch (error) {
    return report(error);
  }
}

function report(error: unknown): number {
  if (isKfwdError(error)) {
    process.stderr.write(`${red("kfwd:")} ${error.message}\n`);
    if (error.hint) process.stderr.write(`${bold("hint:")} ${error.hint}\n`);
    if (process.env.KFWD_DEBUG) process.stderr.write(`(${error.code})\n${error.stack ?? ""}\n`);
    return error.exitCode;
  }
  if (error instanceof Error && error.name === "CLIError") {
    process.stderr.write(`${red("kfwd:")} ${error.message}\nRun "kfwd --help" for usage.\n`);
    return EXIT.usage;
  }
  process.stderr.write(`${red("kfwd: unexpected error")} — please report it with this output:\n`);
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return EXIT.error;
}

async function resolveForUsage(args: string[]): Promise<[CommandDef, CommandDef | undefined]> {
  const name = args.find((a) => !a.startsWith("-"));
  const loader = name === undefined ? undefined : commands[name];
  if (!loader) return [root as CommandDef, undefined];
  return [(await loader()) as CommandDef, root as CommandDef];
}

/** citty lets `args` be a value, a promise or a function; ours are plain objects, but the type allows all three. */
async function resolveArgs(args: Resolvable<ArgsDef> | undefined): Promise<ArgsDef | undefined> {
  return typeof args === "function" ? await args() : await args;
}
