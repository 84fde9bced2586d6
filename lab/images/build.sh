#!/usr/bin/env bash
# Build the lab's images as OCI archives in $LAB_CACHE/images-<hash>/ (skipped when already there):
#   pause.tar   - the pod sandbox image, under containerd's sandbox_image name
#   testapp.tar - kfwd.local/testapp:1, HTTP (:8080) and TCP echo (:9000) servers, user 65532
#   bun.tar     - docker.io/oven/bun:<BUN_VERSION>-slim, a stand-in for kfwd's default agent image
#   coredns.tar - kfwd.local/coredns:<COREDNS_VERSION>, the cluster DNS, from the binary build/coredns.sh made
#   postgres.tar, redis.tar - kfwd.local/postgres:1 and kfwd.local/redis:1, the Debian packages' servers (user
#                 999, trust auth, no persistence) for the client matrix
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../env.sh"
source "$here/oci.sh"

bun_exe=${KFWD_LAB_BUN:-$LAB_DIR/../node_modules/bun/bin/bun.exe}
[[ -x $bun_exe ]] || die "no Bun binary at $bun_exe (run npm install first)"
[[ $("$bun_exe" --version) == "$BUN_VERSION" ]] || die "$bun_exe is not Bun $BUN_VERSION"

[[ -x $COREDNS_BIN/coredns ]] || die "no CoreDNS binary in $COREDNS_BIN (run build/coredns.sh first)"
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -n $pg_bin && -x $(command -v redis-server) ]] || die "no PostgreSQL or Redis server (apt-get install postgresql redis-server)"
key=$( (cat "$here"/*.sh "$here"/go.mod "$here"/*/*.go; echo "$BUN_VERSION $COREDNS_VERSION $pg_bin") | sha256sum | cut -c1-12)
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

# A binary and the shared libraries ldd names, into a root: copy_with_libs ROOT BINARY...
copy_with_libs() {
  local root=$1 bin lib
  shift
  for bin in "$@"; do
    mkdir -p "$root$(dirname "$bin")"
    cp -L "$bin" "$root$bin"
    for lib in $(ldd "$bin" | grep -o '/[^ ]*'); do
      mkdir -p "$root$(dirname "$lib")"
      cp -L "$lib" "$root$lib"
    done
  done
}
service_user() { # ROOT NAME: user and group 999, /tmp
  mkdir -p "$1/etc" "$1/tmp"
  chmod 1777 "$1/tmp"
  printf 'root:x:0:0:root:/root:/bin/sh\n%s:x:999:999::/tmp:/usr/sbin/nologin\n' "$2" >"$1/etc/passwd"
  printf 'root:x:0:\n%s:x:999:\n' "$2" >"$1/etc/group"
}

# redis: no persistence, any client (the Service is the only way in)
r=$work/redis
service_user "$r" redis
copy_with_libs "$r" "$(command -v redis-server)"
oci_archive kfwd.local/redis:1 "$r" \
  "{\"Entrypoint\":[\"$(command -v redis-server)\",\"--port\",\"6379\",\"--protected-mode\",\"no\",\"--save\",\"\",\"--appendonly\",\"no\"],\"User\":\"999:999\",\"ExposedPorts\":{\"6379/tcp\":{}}}" \
  "$out/redis.tar"

# postgres: a data directory made here by initdb (as the postgres system user), trust auth from anywhere
r=$work/postgres
service_user "$r" postgres
copy_with_libs "$r" "$pg_bin/postgres"
# The server checks its library directory exists; plpgsql and friends live there (JIT left out: it needs LLVM).
cp -a "$(dirname "$pg_bin")/lib" "$r$(dirname "$pg_bin")/"
rm -rf "$r$(dirname "$pg_bin")"/lib/llvmjit* "$r$(dirname "$pg_bin")"/lib/bitcode
share=/usr/share/postgresql/$(basename "$(dirname "$pg_bin")")
mkdir -p "$r$share" "$r/usr/share/zoneinfo"
cp -a "$share/timezonesets" "$r$share/"
cp -a /usr/share/zoneinfo/UTC /usr/share/zoneinfo/Etc "$r/usr/share/zoneinfo/"
init=$(mktemp -d /tmp/kfwd-lab-pg.XXXXXX)
chmod 755 "$init"
chown postgres "$init"
runuser -u postgres -- "$pg_bin/initdb" -D "$init/data" -U postgres --auth=trust -E UTF8 --locale=C --no-instructions >/dev/null
echo "host all all 0.0.0.0/0 trust" >>"$init/data/pg_hba.conf"
printf "listen_addresses = '*'\nunix_socket_directories = '/tmp'\ntimezone = 'UTC'\nlog_timezone = 'UTC'\njit = off\ndynamic_shared_memory_type = mmap\n" >>"$init/data/postgresql.conf"
mkdir -p "$r/var/lib/postgresql"
cp -a "$init/data" "$r/var/lib/postgresql/data"
rm -rf "$init"
chown -R 999:999 "$r/var/lib/postgresql"
chmod 700 "$r/var/lib/postgresql/data"
oci_archive kfwd.local/postgres:1 "$r" \
  "{\"Entrypoint\":[\"$pg_bin/postgres\",\"-D\",\"/var/lib/postgresql/data\"],\"User\":\"999:999\",\"Env\":[\"TZ=UTC\"],\"ExposedPorts\":{\"5432/tcp\":{}}}" \
  "$out/postgres.tar"

touch "$out/done"
# Older image sets (other sources or versions) are of no further use.
for old in "$LAB_CACHE"/images-*; do [[ $old == "$out" ]] || rm -rf "$old"; done
echo "$out"
