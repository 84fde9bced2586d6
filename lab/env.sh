# Shared settings for the lab scripts: versions, paths, addresses. Sourced, never run.
# Every path can be moved with KFWD_LAB_HOME (state, logs) and KFWD_LAB_CACHE (build cache, binaries).

K8S_VERSION=v1.33.13
K8S_STAGING_VERSION=v0.33.13
ETCD_VERSION=v3.5.35
COREDNS_VERSION=v1.12.4
BUN_VERSION=1.4.5

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_HOME=${KFWD_LAB_HOME:-/var/lib/kfwd-lab}
LAB_CACHE=${KFWD_LAB_CACHE:-/var/cache/kfwd-lab}
LOG_DIR=$LAB_HOME/logs
RUN_DIR=$LAB_HOME/run
PKI_DIR=$LAB_HOME/pki

K8S_BIN=$LAB_CACHE/kubernetes-$K8S_VERSION
ETCD_BIN=$LAB_CACHE/etcd-$ETCD_VERSION
COREDNS_BIN=$LAB_CACHE/coredns-$COREDNS_VERSION

export GOMODCACHE=$LAB_CACHE/go/mod
export GOCACHE=$LAB_CACHE/go/build
export GOFLAGS="-mod=mod -buildvcs=false"
export GOTOOLCHAIN=local
export CGO_ENABLED=0

# The node's network namespace and the veth pair that joins it to the host.
NETNS=kfwd-lab
VETH_HOST=kfwdlab0        # host side
VETH_NODE=kfwdlab1        # node side
HOST_IP=10.211.0.1        # host end of the link
NODE_IP=10.211.0.2        # the node; the API server listens here
LINK_CIDR=10.211.0.0/30
POD_CIDR=10.212.0.0/16
SERVICE_CIDR=10.213.0.0/16
KUBERNETES_SVC_IP=10.213.0.1
DNS_SVC_IP=10.213.0.10
CLUSTER_DOMAIN=cluster.local
NODE_NAME=kfwd-lab
API_PORT=6443
TEST_NAMESPACE=kfwd-e2e
SANDBOX_IMAGE=kfwd.local/pause:3.10

NSENTER=(nsenter --net=/run/netns/$NETNS)

log() { printf 'lab: %s\n' "$*" >&2; }
die() { printf 'lab: error: %s\n' "$*" >&2; exit 1; }
