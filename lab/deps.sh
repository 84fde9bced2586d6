#!/usr/bin/env bash
# Install the Debian packages the lab runs on, when any is missing (apt-get update once, then install).
set -euo pipefail
pkgs=(containerd runc containernetworking-plugins iptables conntrack iproute2 util-linux openssl curl kmod ca-certificates
  postgresql redis-server) # the last two: binaries for the lab's database images (images/build.sh)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
((${#missing[@]})) || exit 0
command -v go >/dev/null || echo "lab: go is not installed; the lab builds Kubernetes with Go >= 1.24" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${missing[@]}"
