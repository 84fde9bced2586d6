#!/usr/bin/env bash
# The local-target demo: a "cluster" network namespace with a web server the host cannot reach,
# then the same curl without and with kfwd. Needs root for the namespace (kfwd itself never does).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
ns=kfwd-demo
name=web.demo.svc.cluster.local
bun="$root/node_modules/.bin/bun"

[ "$(id -u)" = 0 ] || { echo "demo: needs root to create a network namespace (try: sudo npm run demo)" >&2; exit 1; }
[ -x "$root/dist/kfwd" ] || (cd "$root" && npm run --silent build)

cleanup() {
  [ -n "${server:-}" ] && kill "$server" 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "/etc/netns/$ns"
}
trap cleanup EXIT
cleanup
ip netns add "$ns"
ip -n "$ns" link set lo up
mkdir -p "/etc/netns/$ns"
printf '127.0.0.1 localhost\n127.0.99.10 %s\n' "$name" >"/etc/netns/$ns/hosts"
echo "nameserver 127.0.0.1" >"/etc/netns/$ns/resolv.conf"
ip netns exec "$ns" "$bun" -e '
  Bun.serve({ hostname: "127.0.99.10", port: 8080, fetch: (req) => new Response(`hello from inside the cluster network (${new URL(req.url).pathname})\n`) });
' &
server=$!
sleep 0.5

echo "\$ curl http://$name:8080/            # without kfwd"
curl -sS --max-time 3 "http://$name:8080/" || echo "(fails: the host cannot reach it)"
echo
echo "\$ kfwd run examples/local-demo.toml -- curl http://$name:8080/"
"$root/dist/kfwd" run --verbose "$root/examples/local-demo.toml" -- curl -sS "http://$name:8080/"
