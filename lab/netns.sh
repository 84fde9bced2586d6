#!/usr/bin/env bash
# Create the node's network namespace (idempotent): a veth link to the host, forwarding and bridge netfilter
# inside, and a firewall so that from the host only the API server port on the node's address answers.
set -euo pipefail
source "$(dirname "$0")/env.sh"

# Kubelet mounts pod volumes with propagation; the root mount must be shared.
mount --make-rshared /

if [[ ! -e /proc/sys/net/bridge/bridge-nf-call-iptables ]]; then
  modprobe br_netfilter 2>/dev/null || true
  [[ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]] || die "br_netfilter is not available in this kernel"
fi

ip netns list | grep -qx "$NETNS\( .*\)\?" || ip netns add "$NETNS"
if ! ip link show "$VETH_HOST" >/dev/null 2>&1; then
  ip link add "$VETH_HOST" type veth peer name "$VETH_NODE" netns "$NETNS"
  ip addr add "$HOST_IP/30" dev "$VETH_HOST"
  ip link set "$VETH_HOST" up
fi
n() { "${NSENTER[@]}" "$@"; }
n ip link set lo up
n ip addr replace "$NODE_IP/30" dev "$VETH_NODE"
n ip link set "$VETH_NODE" up
n ip route replace default via "$HOST_IP" dev "$VETH_NODE"

n sysctl -qw net.ipv4.ip_forward=1
n sysctl -qw net.bridge.bridge-nf-call-iptables=1
n sysctl -qw net.bridge.bridge-nf-call-ip6tables=1
n sysctl -qw net.ipv4.conf.all.rp_filter=0

# The firewall, in the node's own netns (it goes away with it): from the host link, only the API server.
# In mangle PREROUTING, so it runs before kube-proxy's DNAT and before any ACCEPT that kube-proxy or CNI
# put in front of FORWARD.
fw() { n iptables -w -t mangle "$@"; }
if ! fw -S KFWD-LAB-HOST >/dev/null 2>&1; then
  fw -N KFWD-LAB-HOST
  fw -A KFWD-LAB-HOST -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN
  fw -A KFWD-LAB-HOST -p tcp -d "$NODE_IP" --dport "$API_PORT" -j RETURN
  fw -A KFWD-LAB-HOST -j DROP
  fw -I PREROUTING 1 -i "$VETH_NODE" -j KFWD-LAB-HOST
fi
