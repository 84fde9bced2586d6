#!/usr/bin/env bash
# Take the lab down: stop pods and daemons, unmount what they mounted, remove the node's netns (its veth,
# bridge and iptables rules go with it), remove kubepods cgroups and the cluster state. Keeps logs and the
# build cache ($LAB_CACHE). Safe to run when the lab is partly or not at all up.
# Best effort: every step runs even when an earlier one fails.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/env.sh"
source "$here/daemons.sh"

stop_daemons kube-proxy kubelet

# Pod processes: everything in the kubepods cgroups the kubelet made (cgroup v1: one per controller; v2: one).
kubepods_dirs() { ls -d /sys/fs/cgroup/kubepods /sys/fs/cgroup/*/kubepods 2>/dev/null || true; }
for dir in $(kubepods_dirs); do
  pids=$(find "$dir" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u) || true
  [[ -n $pids ]] && kill -KILL $pids 2>/dev/null || true
done

# Container shims of this lab's containerd (matched by its socket path), then containerd. The shims' sockets
# live in containerd's fixed /run/containerd/s; those listening in the node's netns are this lab's.
shim_sockets=$("${NSENTER[@]}" ss -xlH 2>/dev/null | grep -o '/run/containerd/s/[0-9a-f]*' | sort -u) || true
sock=$RUN_DIR/containerd/containerd.sock
for d in /proc/[0-9]*; do
  cmd=$(tr '\0' ' ' <"$d/cmdline" 2>/dev/null) || continue
  [[ $cmd == *containerd-shim* && $cmd == *"-address $sock "* ]] && kill -KILL "${d#/proc/}" 2>/dev/null || true
done
stop_daemons containerd kube-scheduler kube-controller-manager kube-apiserver
for f in $shim_sockets; do rm -f "$f"; done
stop_daemons etcd

# Mounts under the lab's state (pod volumes, container rootfs, pod netns files), deepest first.
for dir in "$LAB_HOME" "$RUN_DIR"; do
  awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r | while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
done

# Empty kubepods cgroups, deepest first (a killed process leaves its cgroup a moment later: retry briefly).
for _ in 1 2 3 4 5; do
  for dir in $(kubepods_dirs); do find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null || true; done
  [[ -z $(kubepods_dirs) ]] && break
  sleep 0.2
done

ip netns del "$NETNS" 2>/dev/null || true
ip link del "$VETH_HOST" 2>/dev/null || true

# Cluster state: a later `up` starts a fresh cluster. Certificates and logs stay.
rm -rf "$RUN_DIR" "$LAB_HOME/etcd" "$LAB_HOME/kubelet" "$LAB_HOME/containerd" "$LAB_HOME/cni" \
  "$LAB_HOME/opt" "$LAB_HOME/etc" "$LAB_HOME/images.key"
rm -f "$LOG_DIR/failed"
log "down"
