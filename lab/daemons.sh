# Start, find and stop the lab's daemons. Each runs inside the node's netns with a pid file in $RUN_DIR
# and a log in $LOG_DIR/<name>.log. Sourced by up.sh, down.sh and status.sh.

# The daemons in start order (down stops them in reverse).
DAEMONS=(etcd kube-apiserver kube-controller-manager kube-scheduler containerd kubelet kube-proxy)

pid_of() { # NAME -> prints the pid when that daemon is alive
  local f=$RUN_DIR/$1.pid pid
  [[ -f $f ]] || return 1
  pid=$(<"$f")
  [[ -n $pid && -d /proc/$pid ]] || return 1
  # Guard against a recycled pid: the process must still be the binary we started.
  [[ $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) == *"/$1 "* ]] || return 1
  echo "$pid"
}

start_daemon() { # NAME BINARY ARGS...
  local name=$1; shift
  if pid_of "$name" >/dev/null; then return 0; fi
  mkdir -p "$RUN_DIR" "$LOG_DIR"
  printf '\n==== %s start %s\n' "$name" "$(date -Is)" >>"$LOG_DIR/$name.log"
  setsid "${NSENTER[@]}" "$@" </dev/null >>"$LOG_DIR/$name.log" 2>&1 &
  echo $! >"$RUN_DIR/$name.pid"
}

stop_daemons() { # NAME...: TERM them all, wait up to 5 s together, then KILL what is left
  local name pid pids=() i
  for name in "$@"; do
    if pid=$(pid_of "$name"); then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
    rm -f "$RUN_DIR/$name.pid"
  done
  for ((i = 0; i < 50; i++)); do
    for pid in "${pids[@]}"; do [[ -d /proc/$pid ]] && break; pid=""; done
    [[ -z ${pid:-} ]] && return 0
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
}

# fail NAME WHY: report a component that did not come up, with the end of its log, and stop.
fail() {
  echo "$1" >"$LOG_DIR/failed"
  printf 'lab: error: %s: %s\nlab: last lines of %s:\n' "$1" "$2" "$LOG_DIR/$1.log" >&2
  tail -n 25 "$LOG_DIR/$1.log" >&2 2>/dev/null || true
  exit 1
}

# check_started: fail the first daemon that was started (has a pid file) but is no longer running.
check_started() {
  local d
  for d in "${DAEMONS[@]}"; do
    [[ -f $RUN_DIR/$d.pid ]] || continue
    pid_of "$d" >/dev/null || fail "$d" "exited"
  done
}

# wait_for NAME SECONDS COMMAND...: poll COMMAND until it succeeds, failing any started daemon that dies.
# On timeout: fail NAME when it is a daemon, else return 1 so the caller can report.
wait_for() {
  local name=$1 secs=$2; shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    check_started
    if ((SECONDS >= deadline)); then
      [[ " ${DAEMONS[*]} " == *" $name "* ]] && fail "$name" "not ready after ${secs}s"
      return 1
    fi
    sleep 0.25
  done
}
