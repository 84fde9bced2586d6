#!/usr/bin/env bash
# Start kube-apiserver, kube-controller-manager and kube-scheduler in the node's netns (skips running ones).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/env.sh"
source "$here/daemons.sh"
p=$PKI_DIR

start_daemon kube-apiserver "$K8S_BIN/kube-apiserver" \
  --etcd-servers http://127.0.0.1:2379 \
  --advertise-address "$NODE_IP" --bind-address 0.0.0.0 --secure-port "$API_PORT" \
  --service-cluster-ip-range "$SERVICE_CIDR" \
  --client-ca-file "$p/ca.crt" --tls-cert-file "$p/apiserver.crt" --tls-private-key-file "$p/apiserver.key" \
  --kubelet-client-certificate "$p/apiserver-kubelet-client.crt" --kubelet-client-key "$p/apiserver-kubelet-client.key" \
  --kubelet-certificate-authority "$p/ca.crt" --kubelet-preferred-address-types InternalIP \
  --service-account-issuer "https://kubernetes.default.svc.$CLUSTER_DOMAIN" \
  --service-account-key-file "$p/sa.pub" --service-account-signing-key-file "$p/sa.key" \
  --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction,PodSecurity \
  --allow-privileged=true --profiling=false --v 1

for c in controller-manager scheduler; do
  extra=()
  if [[ $c == controller-manager ]]; then
    extra=(--cluster-signing-cert-file "$p/ca.crt" --cluster-signing-key-file "$p/ca.key"
      --root-ca-file "$p/ca.crt" --service-account-private-key-file "$p/sa.key"
      --use-service-account-credentials=true --cluster-cidr "$POD_CIDR" --service-cluster-ip-range "$SERVICE_CIDR")
  fi
  start_daemon "kube-$c" "$K8S_BIN/kube-$c" --kubeconfig "$p/$c.kubeconfig" \
    --authentication-kubeconfig "$p/$c.kubeconfig" --authorization-kubeconfig "$p/$c.kubeconfig" \
    --leader-elect=false --bind-address 127.0.0.1 --profiling=false "${extra[@]}"
done
