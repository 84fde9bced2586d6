/**
 * The proxies and forwards serve only the user kfwd runs as: another local account (nobody, through setpriv)
 * is refused on the SOCKS port, the HTTP port and a forward, while our own clients work as before.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { canMakeNetns, NAMES, PORTS, startFakeCluster, type FakeCluster } from "../../helpers/fake-cluster";
import { kfwd, localProfile } from "../../helpers/kfwd";
import { freePort } from "../../helpers/ports";

const canSetpriv = spawnSync("setpriv", ["--help"]).status === 0;
const web = `http://${NAMES.web}:${PORTS.http}`;
const forwardPort = await freePort();

/** Each client as `who`, printing "<who> <client> ok|refused". */
const CLIENTS = `
for who in nobody self; do
  if [ "$who" = nobody ]; then as="setpriv --reuid=65534 --regid=65534 --clear-groups"; else as=""; fi
  try() { if $as curl -q -sS --fail --max-time 5 "$@" >/dev/null 2>&1; then echo "$who $name ok"; else echo "$who $name refused"; fi; }
  name=socks try -x "socks5h://$KFWD_SOCKS" ${web}/hello
  name=http try -x "http://$KFWD_HTTP" ${web}/hello
  name=forward try --noproxy '*' http://127.0.0.1:${forwardPort}/hello
done
`;

describe.skipIf(!canMakeNetns() || !canSetpriv)("the proxies serve only their owner", () => {
  let cluster: FakeCluster;
  beforeAll(async () => {
    cluster = await startFakeCluster();
  });
  afterAll(() => cluster?.stop());

  test("another user is refused on SOCKS, HTTP and a forward; our own uid is served", async () => {
    const profile = localProfile(
      cluster.netns,
      `\n[[forward]]\nlocal = ${forwardPort}\nremote = "${NAMES.web}:${PORTS.http}"\nname = "web"\n`,
    );
    const r = await kfwd(["run", profile, "--", "sh", "-c", CLIENTS], { timeoutMs: 90_000 });
    const lines = r.stdout.trim().split("\n");
    expect(lines).toEqual([
      "nobody socks refused",
      "nobody http refused",
      "nobody forward refused",
      "self socks ok",
      "self http ok",
      "self forward ok",
    ]);
    // One warning for the first refusal; the rest go to the debug log.
    expect(r.stderr.match(/refused a connection from 127\.0\.0\.1:\d+, owned by uid 65534/g)).toHaveLength(1);
    expect(r.code).toBe(0);
  }, 100_000);
});
