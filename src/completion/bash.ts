/** The bash completion: one function, `_kfwd`, that bash calls with COMP_WORDS/COMP_CWORD set. */
import { type CommandSpec, type FlagSpec, ROOT_FLAGS, type ValueKind } from "./model";
import { shellWord } from "./quote";

function complete(v: ValueKind | undefined): string {
  switch (v?.kind) {
    case "profile":
      return `_kfwd_files '*.toml'`;
    case "file":
      return "_kfwd_files";
    case "values":
      return `COMPREPLY=($(compgen -W ${shellWord(v.values.join(" "))} -- "$cur"))`;
    default:
      return "COMPREPLY=()";
  }
}

function flagWords(flags: FlagSpec[]): string {
  return shellWord(flags.flatMap((f) => f.names).join(" "));
}

function commandCase(c: CommandSpec): string {
  const valued = c.flags.filter((f) => f.value !== undefined);
  const prevCases = valued.map((f) => `        ${f.names.join("|")}) ${complete(f.value)}; return ;;`).join("\n");
  return `    ${c.name})
      ${c.takesCommand ? `if [[ $dashdash == 1 ]]; then COMPREPLY=($(compgen -c -- "$cur")); return; fi\n      ` : ""}case "$prev" in
${prevCases || "        --*) ;;"}
      esac
      if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W ${flagWords(c.flags)} -- "$cur")); return; fi
      ${c.positional ? complete(c.positional) : "COMPREPLY=()"}
      ;;`;
}

export function bashScript(specs: CommandSpec[]): string {
  const names = specs.map((s) => s.name).join(" ");
  return `# kfwd completion for bash. Load it with:  source <(kfwd completion bash)
# or install it:  kfwd completion bash > ~/.local/share/bash-completion/completions/kfwd
_kfwd_files() {
  local IFS=$'\\n'
  compopt -o filenames 2>/dev/null
  if [[ -n $1 ]]; then
    COMPREPLY=($(compgen -d -- "$cur") $(compgen -f -X "!$1" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
_kfwd() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]} cmd="" dashdash=0 i
  for ((i = 1; i < COMP_CWORD; i++)); do
    if [[ \${COMP_WORDS[i]} == -- ]]; then dashdash=1; break; fi
    if [[ -z $cmd && \${COMP_WORDS[i]} != -* ]]; then cmd=\${COMP_WORDS[i]}; fi
  done
  if [[ -z $cmd ]]; then
    COMPREPLY=($(compgen -W ${shellWord(`${names} ${ROOT_FLAGS.flatMap((f) => f.names).join(" ")}`)} -- "$cur"))
    return
  fi
  case "$cmd" in
${specs.map(commandCase).join("\n")}
  esac
}
complete -F _kfwd kfwd
`;
}
