/** The fish completion: `complete` lines, each condition naming the command it belongs to. */
import { type CommandSpec, type FlagSpec, ROOT_FLAGS, type ValueKind } from "./model";
import { fishWord, summary } from "./quote";

function args(v: ValueKind): string {
  switch (v.kind) {
    case "profile":
      return `-x -a ${fishWord("(__kfwd_profiles)")}`;
    case "file":
      return "-r -F";
    case "values":
      return `-x -a ${fishWord(v.values.join(" "))}`;
    default:
      return "";
  }
}

function flagLine(condition: string, f: FlagSpec): string {
  const names = f.names.map((n) => (n.startsWith("--") ? `-l ${n.slice(2)}` : `-s ${n.slice(1)}`)).join(" ");
  const value = f.value ? ` ${args(f.value) || "-x"}` : "";
  return `complete -c kfwd -n ${fishWord(condition)} ${names}${value} -d ${fishWord(summary(f.description))}`;
}

function commandLines(c: CommandSpec): string[] {
  const on = `__fish_seen_subcommand_from ${c.name}`;
  const lines = [`complete -c kfwd -n __fish_use_subcommand -a ${c.name} -d ${fishWord(summary(c.description))}`];
  const beforeDashDash = c.takesCommand ? `${on}; and not contains -- -- (commandline -opc)` : on;
  lines.push(...c.flags.map((f) => flagLine(beforeDashDash, f)));
  if (c.positional && c.positional.kind !== "none")
    lines.push(`complete -c kfwd -n ${fishWord(beforeDashDash)} ${args(c.positional)}`);
  if (c.takesCommand)
    lines.push(
      `complete -c kfwd -n ${fishWord(`${on}; and contains -- -- (commandline -opc)`)} -x -a ${fishWord("(__fish_complete_command)")}`,
    );
  return lines;
}

export function fishScript(specs: CommandSpec[]): string {
  return `# kfwd completion for fish. Load it with:  kfwd completion fish | source
# or install it:  kfwd completion fish > ~/.config/fish/completions/kfwd.fish
complete -c kfwd -f
# Profiles: .toml files, and directories to look in.
function __kfwd_profiles
  __fish_complete_path (commandline -ct) | string match -r -- '^[^\\t]*(?:\\.toml|/)(?:\\t.*)?$'
end
${ROOT_FLAGS.map((f) => flagLine("__fish_use_subcommand", f)).join("\n")}
${specs.flatMap(commandLines).join("\n")}
`;
}
