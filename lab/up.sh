#!/usr/bin/env bash
# Bring the lab up (idempotent): install packages, build binaries and images, create the node's netns,
# start every daemon, apply the cluster's own objects, wait for a Ready node and DNS.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/env.sh"
source "$here/daemons.sh"
mkdir -p "$LOG_DIR" "$RUN_DIR"
rm -f "$LOG_DIR/failed"
t0=$SECONDS
step() { log "$* (${SECONDS}s)"; }

step "packages"
"$here/deps.sh" >"$LOG_DIR/deps.log" 2>&1 || fail deps "installing packages failed"

step "binaries"
"$here/build/all.sh"
images=$("$here/images/build.sh" 2>"$LOG_DIR/build-images.log") || fail build-images "building images failed"

step "certificates, network namespace, configuration"
"$here/pki.sh"
"$here/netns.sh" >"$LOG_DIR/netns.log" 2>&1 || fail netns "creating the node's network namespace failed"
"$here/config.sh"

kubectl() { "$K8S_BIN/kubectl" --kubeconfig "$PKI_DIR/admin.kubeconfig" "$@"; }
in_node() { "${NSENTER[@]}" "$@"; }

step "etcd"
start_daemon etcd "$ETCD_BIN/etcd" --name "$NODE_NAME" --data-dir "$LAB_HOME/etcd" \
  --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
  --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
  --initial-cluster "$NODE_NAME=http://127.0.0.1:2380" --listen-metrics-urls http://127.0.0.1:2381 \
  --unsafe-no-fsync --snapshot-count 10000 --log-level warn

step "kube-apiserver"
"$here/start-control-plane.sh"
wait_for etcd 30 in_node curl -fsS http://127.0.0.1:2379/health
wait_for kube-apiserver 60 kubectl get --raw /readyz

step "containerd"
start_daemon containerd /usr/bin/containerd --config "$LAB_HOME/etc/containerd.toml"
ctr() { command ctr --address "$RUN_DIR/containerd/containerd.sock" -n k8s.io "$@"; }
wait_for containerd 30 ctr version
if [[ $(cat "$LAB_HOME/images.key" 2>/dev/null) != "$images" ]]; then
  step "images"
  for tar in "$images"/*.tar; do
    ctr images import "$tar" >>"$LOG_DIR/containerd.log" 2>&1 || fail containerd "importing $tar failed"
  done
  echo "$images" >"$LAB_HOME/images.key"
fi

step "kubelet, kube-proxy"
start_daemon kubelet "$K8S_BIN/kubelet" --config "$LAB_HOME/etc/kubelet.yaml" \
  --kubeconfig "$PKI_DIR/kubelet-client.kubeconfig" --hostname-override "$NODE_NAME" --node-ip "$NODE_IP" \
  --root-dir "$LAB_HOME/kubelet" --v 1
start_daemon kube-proxy "$K8S_BIN/kube-proxy" --config "$LAB_HOME/etc/kube-proxy.yaml"

step "cluster objects"
wait_for kube-apiserver 30 kubectl get namespace kube-system
for m in "$here"/manifests/*.yaml; do
  sed -e "s|@DNS_SVC_IP@|$DNS_SVC_IP|g; s|@CLUSTER_DOMAIN@|$CLUSTER_DOMAIN|g; s|@COREDNS_IMAGE@|kfwd.local/coredns:$COREDNS_VERSION|g; s|@TEST_NAMESPACE@|$TEST_NAMESPACE|g" "$m"
  echo "---"
done | kubectl apply -f - >"$LOG_DIR/apply.log" 2>&1 || fail apply "applying the lab's manifests failed"
kubectl -n "$TEST_NAMESPACE" apply -f "$here/../deploy/kfwd-role.yaml" >>"$LOG_DIR/apply.log" 2>&1 ||
  fail apply "applying deploy/kfwd-role.yaml failed"

step "node Ready"
node_ready() { [[ $(kubectl get node "$NODE_NAME" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}') == True ]]; }
wait_for kubelet 60 node_ready
step "cluster DNS"
wait_for kube-proxy 60 kubectl -n kube-system wait --for=condition=Available deployment/coredns --timeout=2s
rm -f "$LOG_DIR/failed"

log "up in $((SECONDS - t0))s"
echo "kubeconfig: $PKI_DIR/admin.kubeconfig"
echo "kubeconfig-restricted: $PKI_DIR/restricted.kubeconfig"
