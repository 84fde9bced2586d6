#!/usr/bin/env bash
# Build CoreDNS from the Go module proxy into $COREDNS_BIN (skipped when already there).
set -euo pipefail
source "$(dirname "$0")/../env.sh"

[[ -x $COREDNS_BIN/coredns ]] && exit 0
mkdir -p "$COREDNS_BIN"
log "building CoreDNS $COREDNS_VERSION"
GOBIN=$COREDNS_BIN go install -p "${LAB_BUILD_JOBS:-2}" -trimpath -ldflags "-s -w" "github.com/coredns/coredns@$COREDNS_VERSION"
