#!/usr/bin/env bash
# Print each component's state and the kubeconfig paths. Exit 0 when the whole lab is up, 3 otherwise.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/env.sh"
source "$here/daemons.sh"

up=1
if ip netns list 2>/dev/null | grep -q "^$NETNS\b"; then echo "netns: $NETNS ($NODE_IP)"; else echo "netns: absent"; up=0; fi
for d in "${DAEMONS[@]}"; do
  if pid=$(pid_of "$d"); then echo "$d: running (pid $pid)"; else echo "$d: stopped"; up=0; fi
done
if pid_of kube-apiserver >/dev/null; then
  k=("$K8S_BIN/kubectl" --kubeconfig "$PKI_DIR/admin.kubeconfig" --request-timeout 5s)
  ready=$("${k[@]}" get node "$NODE_NAME" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)
  case $ready in True) echo "node $NODE_NAME: Ready" ;; False) echo "node $NODE_NAME: NotReady" ;; *) echo "node $NODE_NAME: unknown" ;; esac
  [[ $ready == True ]] || up=0
  dns=$("${k[@]}" -n kube-system get deployment coredns -o 'jsonpath={.status.availableReplicas}' 2>/dev/null)
  echo "coredns: ${dns:-0} available"
  [[ ${dns:-0} -ge 1 ]] || up=0
else
  up=0
fi
[[ -f $LOG_DIR/failed ]] && echo "last failure: $(<"$LOG_DIR/failed") (see $LOG_DIR)"
echo "logs: $LOG_DIR"
echo "kubectl: $K8S_BIN/kubectl"
echo "kubeconfig: $PKI_DIR/admin.kubeconfig"
echo "kubeconfig-restricted: $PKI_DIR/restricted.kubeconfig"
if ((up)); then echo "lab: up"; exit 0; else echo "lab: down"; exit 3; fi
