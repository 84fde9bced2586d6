#!/usr/bin/env bash
# Bring the lab up (idempotent): install packages, build binaries and images, create the node's netns,
# start every daemon, apply the cluster's own objects, wait for a Ready node and cluster DNS.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/env.sh"
source "$here/daemons.sh"
source "$here/components.sh"
# Nothing running but state left behind (a reboot, a killed run): clear it, so the cluster starts fresh.
alive=0
for d in "${DAEMONS[@]}"; do pid_of "$d" >/dev/null && alive=1; done
if ((!alive)) && [[ -d $RUN_DIR || -d $LAB_HOME/etcd ]]; then "$here/down.sh" >/dev/null 2>&1 || true; fi
mkdir -p "$LOG_DIR" "$RUN_DIR"
rm -f "$LOG_DIR/failed"
t0=$SECONDS
step() { log "$* (${SECONDS}s)"; }
kubectl() { "$K8S_BIN/kubectl" --kubeconfig "$PKI_DIR/admin.kubeconfig" --request-timeout 10s "$@"; }
ctr() { command ctr --address "$RUN_DIR/containerd/containerd.sock" -n k8s.io "$@"; }
in_node() { "${NSENTER[@]}" "$@"; }

step "packages"
"$here/deps.sh" >"$LOG_DIR/deps.log" 2>&1 || fail deps "installing packages failed"

step "binaries"
"$here/build/all.sh"
images=$("$here/images/build.sh" 2>"$LOG_DIR/build-images.log") || fail build-images "building images failed"

step "certificates, network namespace, configuration"
"$here/pki.sh"
"$here/netns.sh" >"$LOG_DIR/netns.log" 2>&1 || fail netns "creating the node's network namespace failed"
"$here/config.sh"

step "etcd, kube-apiserver, containerd"
start_etcd
start_apiserver
start_containerd
wait_for etcd 30 in_node curl -fsS http://127.0.0.1:2379/health
wait_for kube-apiserver 60 kubectl get --raw /readyz
wait_for containerd 30 ctr version

step "kube-controller-manager, kube-scheduler, kubelet, kube-proxy"
start_controllers
start_node

if [[ $(cat "$LAB_HOME/images.key" 2>/dev/null) != "$images" ]]; then
  step "images"
  for tar in "$images"/*.tar; do
    ctr images import "$tar" >>"$LOG_DIR/containerd.log" 2>&1 || fail containerd "importing $tar failed"
  done
  echo "$images" >"$LAB_HOME/images.key"
fi

step "cluster objects"
for m in "$here"/manifests/*.yaml; do
  sed -e "s|@DNS_SVC_IP@|$DNS_SVC_IP|g; s|@CLUSTER_DOMAIN@|$CLUSTER_DOMAIN|g" \
    -e "s|@COREDNS_IMAGE@|kfwd.local/coredns:$COREDNS_VERSION|g; s|@TEST_NAMESPACE@|$TEST_NAMESPACE|g" "$m"
  echo "---"
done | kubectl apply -f - >"$LOG_DIR/apply.log" 2>&1 || fail apply "applying the lab's manifests failed"
kubectl -n "$TEST_NAMESPACE" apply -f "$here/../deploy/kfwd-role.yaml" >>"$LOG_DIR/apply.log" 2>&1 ||
  fail apply "applying deploy/kfwd-role.yaml failed"

step "node Ready"
node_ready() { [[ $(kubectl get node "$NODE_NAME" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}') == True ]]; }
wait_for kubelet 60 node_ready

step "cluster DNS"
dns_ready() { kubectl -n kube-system wait --for=condition=Available deployment/coredns --timeout=2s; }
if ! wait_for - 60 dns_ready; then
  kubectl -n kube-system describe pods -l k8s-app=kube-dns >"$LOG_DIR/coredns.log" 2>&1 || true
  kubectl -n kube-system logs -l k8s-app=kube-dns --tail 20 >>"$LOG_DIR/coredns.log" 2>&1 || true
  fail coredns "the CoreDNS Deployment is not Available"
fi
rm -f "$LOG_DIR/failed"

log "up in $((SECONDS - t0))s"
echo "kubeconfig: $PKI_DIR/admin.kubeconfig"
echo "kubeconfig-restricted: $PKI_DIR/restricted.kubeconfig"
