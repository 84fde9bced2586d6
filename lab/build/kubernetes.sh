#!/usr/bin/env bash
# Build the Kubernetes binaries from the Go module proxy into $K8S_BIN (skipped when already there).
# A wrapper module requires k8s.io/kubernetes and replaces every staging module (v0.0.0 in that tag's go.mod)
# with its published v0.x.y twin; the binaries are stamped like an upstream release.
set -euo pipefail
source "$(dirname "$0")/../env.sh"

BINS=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)
done_all=1
for b in "${BINS[@]}"; do [[ -x $K8S_BIN/$b ]] || done_all=0; done
if ((done_all)); then exit 0; fi

src=$LAB_CACHE/src/kubernetes-$K8S_VERSION
mkdir -p "$src" "$K8S_BIN"
proxy=$(go env GOPROXY); proxy=${proxy%%[,|]*}
[[ $proxy == http* ]] || proxy=https://proxy.golang.org
upstream_mod=$(curl -fsSL "$proxy/k8s.io/kubernetes/@v/$K8S_VERSION.mod")
staging=$(awk '/^replace \(/{r=1;next} r&&/^\)/{r=0} r&&$3 ~ /^\.\/staging\//{print $1}' <<<"$upstream_mod")
godebug=$(grep -m1 '^godebug ' <<<"$upstream_mod")
gover=$(grep -m1 '^go ' <<<"$upstream_mod")
[[ -n $staging && -n $godebug ]] || die "cannot read the staging modules from k8s.io/kubernetes $K8S_VERSION go.mod"

{
  echo "module kfwd.local/lab/kubernetes"
  echo
  echo "$gover"
  echo
  echo "$godebug"
  echo
  echo "require k8s.io/kubernetes $K8S_VERSION"
  echo
  echo "replace ("
  for m in $staging; do echo "	$m => $m $K8S_STAGING_VERSION"; done
  echo ")"
} >"$src/go.mod"

minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
x=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  x+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  x+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done

cd "$src"
pkgs=()
for b in "${BINS[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$b"); done
log "building Kubernetes $K8S_VERSION (${BINS[*]}); this takes 20-40 min on 2 cores"
go build -p "${LAB_BUILD_JOBS:-2}" -trimpath -ldflags "-s -w$x" -o "$K8S_BIN/" "${pkgs[@]}"
