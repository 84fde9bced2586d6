#!/usr/bin/env bash
# Build the lab's images as OCI archives in $LAB_CACHE/images-<hash>/ (skipped when already there):
#   pause.tar   - the pod sandbox image, under containerd's sandbox_image name
#   testapp.tar - kfwd.local/testapp:1, HTTP (:8080) and TCP echo (:9000) servers, user 65532
#   bun.tar     - docker.io/oven/bun:<BUN_VERSION>-slim, a stand-in for kfwd's default agent image
#   coredns.tar - kfwd.local/coredns:<COREDNS_VERSION>, the cluster DNS, from the binary build/coredns.sh made
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../env.sh"
source "$here/oci.sh"

bun_exe=${KFWD_LAB_BUN:-$LAB_DIR/../node_modules/bun/bin/bun.exe}
[[ -x $bun_exe ]] || die "no Bun binary at $bun_exe (run npm install first)"
[[ $("$bun_exe" --version) == "$BUN_VERSION" ]] || die "$bun_exe is not Bun $BUN_VERSION"

[[ -x $COREDNS_BIN/coredns ]] || die "no CoreDNS binary in $COREDNS_BIN (run build/coredns.sh first)"
key=$( (cat "$here"/*.sh "$here"/go.mod "$here"/*/*.go; echo "$BUN_VERSION $COREDNS_VERSION") | sha256sum | cut -c1-12)
out=$LAB_CACHE/images-$key
if [[ -f $out/done ]]; then echo "$out"; exit 0; fi
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# pause
mkdir -p "$work/pause"
(cd "$here" && go build -trimpath -ldflags "-s -w" -o "$work/pause/pause" ./pause)
oci_archive "$SANDBOX_IMAGE" "$work/pause" \
  '{"Entrypoint":["/pause"],"User":"65535:65535"}' "$out/pause.tar"

# testapp
mkdir -p "$work/testapp/tmp"
chmod 1777 "$work/testapp/tmp"
(cd "$here" && go build -trimpath -ldflags "-s -w" -o "$work/testapp/testapp" ./testapp)
oci_archive kfwd.local/testapp:1 "$work/testapp" \
  '{"Entrypoint":["/testapp"],"User":"65532:65532","Env":["PATH=/","KFWD_IMAGE_ENV=from-image"],"ExposedPorts":{"8080/tcp":{},"9000/tcp":{}}}' \
  "$out/testapp.tar"

# bun: the binary, the shared libraries ldd names, a passwd with user bun (1000), /tmp, like the official slim image
r=$work/bun
mkdir -p "$r/usr/local/bin" "$r/etc" "$r/tmp" "$r/home/bun/app"
chmod 1777 "$r/tmp"
cp "$bun_exe" "$r/usr/local/bin/bun"
ln -s bun "$r/usr/local/bin/bunx"
for lib in $(ldd "$bun_exe" | grep -o '/[^ ]*'); do
  mkdir -p "$r$(dirname "$lib")"
  cp -L "$lib" "$r$lib"
done
printf 'root:x:0:0:root:/root:/bin/sh\nbun:x:1000:1000::/home/bun:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' >"$r/etc/passwd"
printf 'root:x:0:\nbun:x:1000:\nnogroup:x:65534:\n' >"$r/etc/group"
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$r/etc/nsswitch.conf"
chown -R 1000:1000 "$r/home/bun"
oci_archive "docker.io/oven/bun:$BUN_VERSION-slim" "$r" \
  '{"Cmd":["/usr/local/bin/bun"],"WorkingDir":"/home/bun/app","Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","BUN_RUNTIME_TRANSPILER_CACHE_PATH=0","BUN_INSTALL_BIN=/usr/local/bin"]}' \
  "$out/bun.tar"

# coredns
mkdir -p "$work/coredns"
cp "$COREDNS_BIN/coredns" "$work/coredns/coredns"
oci_archive "kfwd.local/coredns:$COREDNS_VERSION" "$work/coredns" \
  '{"Entrypoint":["/coredns"],"User":"65532:65532"}' "$out/coredns.tar"

touch "$out/done"
# Older image sets (other sources or versions) are of no further use.
for old in "$LAB_CACHE"/images-*; do [[ $old == "$out" ]] || rm -rf "$old"; done
echo "$out"
