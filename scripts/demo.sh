#!/usr/bin/env bash
# The demo: bring up the lab (a real single-node Kubernetes built here; needs root — kfwd itself never does),
# deploy a web app that only the cluster can reach, then curl it without and with kfwd, as a user who holds
# nothing but kfwd's namespace Role.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
[ "$(id -u)" = 0 ] || { echo "demo: the lab needs root (try: sudo npm run demo); npm run demo:local needs root too" >&2; exit 1; }

npm run --silent build
npm run --silent lab -- up
kubectl="$(npm run --silent lab -- status | sed -n 's/^kubectl: //p' | head -1)"
admin=/var/lib/kfwd-lab/pki/admin.kubeconfig
"$kubectl" --kubeconfig "$admin" apply -f examples/lab-demo.yaml >/dev/null
"$kubectl" --kubeconfig "$admin" -n kfwd-e2e rollout status deployment/hello --timeout=120s >/dev/null

url=http://hello.kfwd-e2e.svc.cluster.local:8080
echo
echo "\$ curl $url/hello            # without kfwd"
curl -sS --max-time 3 "$url/hello" || echo "(fails: the host cannot reach the cluster)"
echo
echo "\$ kfwd run examples/lab-demo.toml -- sh -c 'curl -sS $url/hello; echo \"GREETING=\$GREETING\"'"
./dist/kfwd run --verbose examples/lab-demo.toml -- sh -c "curl -sS $url/hello; echo \"GREETING=\$GREETING  KFWD_IMAGE_ENV=\$KFWD_IMAGE_ENV\""
echo
echo "The lab stays up for more: npm run lab -- status | down"
