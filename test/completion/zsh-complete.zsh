#!/usr/bin/env zsh
# Prints what zsh's completion system offers for a command line, one word per line ("HIT:<word>").
# Usage: zsh -f zsh-complete.zsh <completion script> <command line>
# An interactive zsh runs in a pseudo-terminal (zsh/zpty), loads compinit and the script, and gets the line
# plus a TAB; compadd is wrapped to print each word it adds, and the shell exits after that one completion.
zmodload zsh/zpty || exit 3
zpty z zsh -f -i
zpty -w z "PROMPT=; unsetopt zle_bracketed_paste 2>/dev/null; autoload -Uz compinit; compinit -u -D; source ${(q)1}"
zpty -w z 'bindkey "^I" complete-word; zstyle ":completion:*" list-grouped false; zstyle ":completion:*" insert-tab false'
zpty -w z 'compadd() {
  if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return $?; fi
  local -a __hits; builtin compadd -A __hits "$@"
  local h; for h in $__hits; do print -r -- "HIT:$h"; done
  builtin compadd "$@"
}'
zpty -w z 'comppostfuncs=(__kfwd_test_done); __kfwd_test_done() { print -r -- "END-OF-COMPLETION"; exit }'
zpty -w z 'print -r -- READY-$((1+1))'
local line
while zpty -r z line; do [[ $line == *READY-2* ]] && break; done
zpty -w -n z "$2"$'\t'
while zpty -r z line; do
  line=${line%$'\r'}
  [[ $line == *END-OF-COMPLETION* ]] && break
  # The first word can share a line with the echoed command line.
  [[ $line == *HIT:* ]] && print -r -- "HIT:${line#*HIT:}"
done
zpty -d z
