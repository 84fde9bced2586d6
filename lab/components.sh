# How each lab daemon is started: binary, flags, files. All run in the node's netns (see daemons.sh).
# Sourced by up.sh after env.sh and daemons.sh.

start_etcd() {
  start_daemon etcd "$ETCD_BIN/etcd" --name "$NODE_NAME" --data-dir "$LAB_HOME/etcd" \
    --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
    --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster "$NODE_NAME=http://127.0.0.1:2380" --listen-metrics-urls http://127.0.0.1:2381 \
    --unsafe-no-fsync --snapshot-count 10000 --log-level warn
}

start_apiserver() {
  local p=$PKI_DIR
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
}

# After the API server is ready: they need its bootstrap RBAC roles at start.
start_controllers() {
  local p=$PKI_DIR c extra
  for c in controller-manager scheduler; do
    extra=()
    if [[ $c == controller-manager ]]; then
      extra=(--cluster-signing-cert-file "$p/ca.crt" --cluster-signing-key-file "$p/ca.key"
        --root-ca-file "$p/ca.crt" --service-account-private-key-file "$p/sa.key"
        --use-service-account-credentials=true --service-cluster-ip-range "$SERVICE_CIDR")
    fi
    start_daemon "kube-$c" "$K8S_BIN/kube-$c" --kubeconfig "$p/$c.kubeconfig" \
      --authentication-kubeconfig "$p/$c.kubeconfig" --authorization-kubeconfig "$p/$c.kubeconfig" \
      --leader-elect=false --bind-address 127.0.0.1 --profiling=false "${extra[@]}"
  done
}

start_containerd() {
  start_daemon containerd /usr/bin/containerd --config "$LAB_HOME/etc/containerd.toml"
}

start_node() {
  start_daemon kubelet "$K8S_BIN/kubelet" --config "$LAB_HOME/etc/kubelet.yaml" \
    --kubeconfig "$PKI_DIR/kubelet-client.kubeconfig" --hostname-override "$NODE_NAME" --node-ip "$NODE_IP" \
    --root-dir "$LAB_HOME/kubelet" --v 1
  start_daemon kube-proxy "$K8S_BIN/kube-proxy" --config "$LAB_HOME/etc/kube-proxy.yaml"
}
