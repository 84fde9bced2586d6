#!/usr/bin/env bash
# Build every lab binary that is not cached yet. Each step logs to $LOG_DIR/build-<component>.log.
set -euo pipefail
source "$(dirname "$0")/../env.sh"
mkdir -p "$LOG_DIR" "$LAB_CACHE"
# One build at a time: a second `up` waits for the first one's build instead of racing it.
exec 9>"$LAB_CACHE/.build.lock"
flock 9
command -v go >/dev/null || die "Go is not installed; the lab builds Kubernetes $K8S_VERSION from source with Go >= 1.24"
gov=$(go env GOVERSION); gov=${gov#go}; IFS=. read -r gomaj gomin _ <<<"$gov"
((gomaj > 1 || gomin >= 24)) || die "Go $gov is too old; Kubernetes $K8S_VERSION needs Go >= 1.24"
for c in etcd coredns kubernetes; do
  if ! "$LAB_DIR/build/$c.sh" >>"$LOG_DIR/build-$c.log" 2>&1; then
    echo "build-$c" >"$LOG_DIR/failed"
    die "building $c failed; last lines of $LOG_DIR/build-$c.log:
$(tail -n 30 "$LOG_DIR/build-$c.log")"
  fi
done
