#!/usr/bin/env bash
# Create the lab's CA, the component certificates and the kubeconfigs in $PKI_DIR (kept while they exist).
set -euo pipefail
source "$(dirname "$0")/env.sh"

mkdir -p "$PKI_DIR"
cd "$PKI_DIR"
umask 077

if [[ ! -f ca.crt ]]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -keyout ca.key -out ca.crt -subj "/CN=kfwd-lab-ca" 2>/dev/null
fi
if [[ ! -f sa.key ]]; then
  openssl genrsa -out sa.key 2048 2>/dev/null
  openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
fi

# cert NAME SUBJECT USAGE [SAN]  (USAGE: clientAuth or serverAuth)
cert() {
  local name=$1 subj=$2 usage=$3 san=${4:-}
  [[ -f $name.crt ]] && return 0
  local ext
  ext=$(mktemp)
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$usage"
    [[ -n $san ]] && echo "subjectAltName=$san"
  } >"$ext"
  openssl req -newkey rsa:2048 -nodes -keyout "$name.key" -out "$name.csr" -subj "$subj" 2>/dev/null
  openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
    -extfile "$ext" -out "$name.crt" 2>/dev/null
  rm -f "$name.csr" "$ext"
}

cert apiserver "/CN=kube-apiserver" serverAuth \
  "IP:$NODE_IP,IP:127.0.0.1,IP:$KUBERNETES_SVC_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.$CLUSTER_DOMAIN"
cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" clientAuth
cert kubelet "/CN=$NODE_NAME" serverAuth "IP:$NODE_IP,DNS:$NODE_NAME"
cert kubelet-client "/O=system:nodes/CN=system:node:$NODE_NAME" clientAuth
cert controller-manager "/CN=system:kube-controller-manager" clientAuth
cert scheduler "/CN=system:kube-scheduler" clientAuth
cert kube-proxy "/CN=system:kube-proxy" clientAuth
cert admin "/O=system:masters/CN=kfwd-lab-admin" clientAuth
cert restricted "/CN=kfwd-dev" clientAuth

# kubeconfig NAME SERVER USER NAMESPACE
kubeconfig() {
  local name=$1 server=$2 user=$3 ns=${4:-default}
  cat >"$name.kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: kfwd-lab
  cluster:
    server: $server
    certificate-authority-data: $(base64 -w0 ca.crt)
users:
- name: $user
  user:
    client-certificate-data: $(base64 -w0 "$name.crt")
    client-key-data: $(base64 -w0 "$name.key")
contexts:
- name: kfwd-lab
  context:
    cluster: kfwd-lab
    user: $user
    namespace: $ns
current-context: kfwd-lab
KC
}
# Components inside the node reach the API server on loopback; host users on the node's address.
kubeconfig kubelet-client "https://127.0.0.1:$API_PORT" "system:node:$NODE_NAME"
kubeconfig controller-manager "https://127.0.0.1:$API_PORT" system:kube-controller-manager
kubeconfig scheduler "https://127.0.0.1:$API_PORT" system:kube-scheduler
kubeconfig kube-proxy "https://127.0.0.1:$API_PORT" system:kube-proxy
kubeconfig admin "https://$NODE_IP:$API_PORT" kfwd-lab-admin
kubeconfig restricted "https://$NODE_IP:$API_PORT" kfwd-dev "$TEST_NAMESPACE"
chmod 644 admin.kubeconfig restricted.kubeconfig
