#!/usr/bin/env bash
# Build etcd from the Go module proxy into $ETCD_BIN (skipped when already there).
# server/v3's own go.mod has replace directives, so `go install` refuses it: a wrapper module requires it instead.
set -euo pipefail
source "$(dirname "$0")/../env.sh"

[[ -x $ETCD_BIN/etcd ]] && exit 0
src=$LAB_CACHE/src/etcd-$ETCD_VERSION
mkdir -p "$src" "$ETCD_BIN"
cat >"$src/go.mod" <<MOD
module kfwd.local/lab/etcd

go 1.23

require go.etcd.io/etcd/server/v3 $ETCD_VERSION
MOD
cd "$src"
log "building etcd $ETCD_VERSION"
go build -p "${LAB_BUILD_JOBS:-2}" -trimpath -ldflags "-s -w" -o "$ETCD_BIN/etcd" go.etcd.io/etcd/server/v3
