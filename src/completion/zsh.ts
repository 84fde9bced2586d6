/** The zsh completion: `_kfwd` for compsys (`_arguments` per command), usable as an fpath file or sourced. */
import { type CommandSpec, type FlagSpec, ROOT_FLAGS, type ValueKind } from "./model";
import { shellWord, summary } from "./quote";

function action(v: ValueKind): string {
  switch (v.kind) {
    case "profile":
      return `_files -g "*.toml"`;
    case "file":
      return "_files";
    case "values":
      return `(${v.values.join(" ")})`;
    default:
      return " ";
  }
}

/** `[`, `]` and `:` are _arguments syntax inside a spec. */
const bracket = (s: string) => summary(s).replace(/([[\]:\\])/g, "\\$1");

function flagSpecs(f: FlagSpec): string[] {
  return f.names.map((name) => {
    const value = f.value
      ? `${name.startsWith("--") ? "=" : ""}[${bracket(f.description)}]:value:${action(f.value)}`
      : `[${bracket(f.description)}]`;
    return shellWord(`${name}${value}`);
  });
}

function commandCase(c: CommandSpec): string {
  const specs = c.flags.flatMap(flagSpecs);
  if (c.positional)
    specs.push(shellWord(`1:${c.positional.kind === "profile" ? "profile" : "argument"}:${action(c.positional)}`));
  return `    ${c.name}) _arguments -S ${specs.join(" ")} ;;`;
}

export function zshScript(specs: CommandSpec[]): string {
  const runners = specs.filter((s) => s.takesCommand).map((s) => s.name);
  const commands = specs.map((s) => shellWord(`${s.name}:${summary(s.description)}`)).join(" ");
  return `#compdef kfwd
# kfwd completion for zsh. Load it with:  source <(kfwd completion zsh)   (after compinit)
# or install it as a file named _kfwd in a directory of $fpath.
_kfwd() {
  local -a cmds
  cmds=(${commands})
  if (( CURRENT == 2 )); then
    if [[ $PREFIX == -* ]]; then
      _arguments ${ROOT_FLAGS.flatMap(flagSpecs).join(" ")}
    else
      _describe -t commands 'kfwd command' cmds
    fi
    return
  fi
  local cmd=$words[2] dd=\${words[(i)--]}
  if (( dd < CURRENT )) && [[ $cmd == (${runners.join("|")}) ]]; then
    # After "--": a command line of its own.
    words=(\${words[dd+1,-1]})
    (( CURRENT -= dd ))
    _normal
    return
  fi
  shift words
  (( CURRENT-- ))
  case $cmd in
${specs.map(commandCase).join("\n")}
  esac
}
if [[ $funcstack[1] == _kfwd ]]; then _kfwd "$@"; else compdef _kfwd kfwd; fi
`;
}
