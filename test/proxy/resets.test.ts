/**
 * A reset stays a reset (TCP meaning kept): when the destination resets its connection, or the agent dies
 * mid-transfer, the client sees a reset, not a clean end that would make a cut-short download look complete.
 * The compiled kfwd, a local agent in a network namespace, real clients.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { canMakeNetns, NAMES, PORTS, startFakeCluster, type FakeCluster } from "../helpers/fake-cluster";
import { kfwd, localProfile } from "../helpers/kfwd";
import { freePort } from "../helpers/ports";

const download = join(import.meta.dir, "../fixtures/clients/download.ts");
const FORWARD_PORT = await freePort();

describe.skipIf(!canMakeNetns())("resets reach the client as resets", () => {
  let cluster: FakeCluster;
  let profile: string;
  beforeAll(async () => {
    cluster = await startFakeCluster();
    profile = localProfile(
      cluster.netns,
      `\n[[forward]]\nlocal = ${FORWARD_PORT}\nremote = "${NAMES.echo}:${PORTS.reset}"\n`,
    );
  });
  afterAll(() => cluster?.stop());

  const through = async (args: string[]): Promise<{ outcome: string; bytes: number }> => {
    const r = await kfwd(["run", profile, "--", process.execPath, download, ...args]);
    if (r.code !== 0) throw new Error(`kfwd run exited ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout) as { outcome: string; bytes: number };
  };

  for (const via of ["socks", "connect"] as const) {
    test(`${via}: the destination resets after 1 MiB → the client gets a reset`, async () => {
      const got = await through([via, NAMES.echo, String(PORTS.reset), "1048576\\n"]);
      expect(got.outcome).toBe("reset");
    });
  }

  test("forward: the destination resets after 1 MiB → the client gets a reset", async () => {
    const got = await through(["direct", "127.0.0.1", String(FORWARD_PORT), "1048576\\n"]);
    expect(got.outcome).toBe("reset");
  });

  for (const framing of ["close", "length", "chunked"] as const) {
    test(`absolute-URI HTTP: a ${framing}-delimited response cut short by a reset does not look complete`, async () => {
      const url = `http://${NAMES.echo}:${PORTS.reset}/1048576/${framing}`;
      const r = await kfwd(["run", profile, "--", "curl", "-sS", "-o", "/dev/null", url]);
      expect(r.code).not.toBe(0); // curl: 56 (connection reset) or 18 (partial file), never success
    });
  }

  test("the agent killed mid-transfer → the client gets a reset", async () => {
    const run = kfwd([
      "run",
      profile,
      "--",
      process.execPath,
      download,
      "socks",
      NAMES.echo,
      String(PORTS.source),
      "1000000000000\\n",
    ]);
    let ended = false;
    void run.then(() => (ended = true));
    let agent: string | undefined;
    while (agent === undefined && !ended) {
      await Bun.sleep(100);
      agent = agentPids(cluster.netns)[0];
    }
    if (agent === undefined) throw new Error(`kfwd ended before its agent was seen: ${(await run).stderr}`);
    await Bun.sleep(500); // the download is under way
    spawnSync("kill", ["-9", agent]);
    const r = await run;
    expect((JSON.parse(r.stdout) as { outcome: string }).outcome).toBe("reset");
  });
});

/** Processes in the namespace other than the cluster's own services: the agents kfwd started. */
function agentPids(netns: string): string[] {
  const pids = spawnSync("ip", ["netns", "pids", netns], { encoding: "utf8" }).stdout.split("\n").filter(Boolean);
  return pids.filter(
    (pid) => !spawnSync("cat", [`/proc/${pid}/cmdline`], { encoding: "utf8" }).stdout.includes("cluster-services"),
  );
}
