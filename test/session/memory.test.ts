/**
 * The session's memory bound, end to end: the compiled kfwd and a local agent in a network namespace, with
 * thousands of clients that never read what they asked for. Without a session-wide budget each stream buffered
 * at least a socket read on both sides (kfwd 0.4–2.2 GB, the agent 0.4–0.9 GB); with it the agent stays under
 * its container's default limit and kfwd well under a tenth of what it took. Generous margins: memory, not time.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { canMakeNetns, startFakeCluster, type FakeCluster } from "../helpers/fake-cluster";
import { kfwd, localProfile } from "../helpers/kfwd";

const clients = join(import.meta.dir, "../fixtures/clients");
const MB = 1e6;
/** The agent container's default memory limit (`[agent] memory = "128Mi"`): past it the pod is OOM-killed. */
const AGENT_MEMORY_LIMIT = 128 * 1024 * 1024;

/** Peak resident set (VmHWM) of a process, in bytes; 0 once it is gone. */
function peakRss(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Processes in the namespace other than the cluster's own services: the agent kfwd started. */
function agentPids(netns: string): number[] {
  const pids = spawnSync("ip", ["netns", "pids", netns], { encoding: "utf8" }).stdout.split("\n").filter(Boolean);
  return pids
    .filter(
      (pid) => !spawnSync("cat", [`/proc/${pid}/cmdline`], { encoding: "utf8" }).stdout.includes("cluster-services"),
    )
    .map(Number);
}

/** Runs the hoarding client under kfwd and samples both processes' peak RSS until it ends. */
async function hoard(profile: string, netns: string, args: string[]) {
  const run = kfwd(["run", profile, "--", process.execPath, join(clients, "hoard.ts"), ...args], {
    timeoutMs: 170_000,
  });
  const peak = { kfwd: 0, agent: 0 };
  let done = false;
  void run.then(() => (done = true));
  while (!done) {
    peak.kfwd = Math.max(peak.kfwd, peakRss(run.child.pid!));
    for (const pid of agentPids(netns)) peak.agent = Math.max(peak.agent, peakRss(pid));
    await Bun.sleep(200);
  }
  const r = await run;
  return { ...r, peak, out: JSON.parse(r.stdout || "{}") as { connected: number; failed: number; fresh: string } };
}

describe.skipIf(!canMakeNetns())("memory stays bounded per session", () => {
  let cluster: FakeCluster;
  let profile: string;
  beforeAll(async () => {
    cluster = await startFakeCluster();
    profile = localProfile(cluster.netns);
  });
  afterAll(() => cluster?.stop());

  test("2,000 downloads whose clients never read: kfwd and the agent stay within their budgets", async () => {
    const r = await hoard(profile, cluster.netns, ["download", "2000", String(8 << 20)]);
    console.log(`2000 unread downloads: peak RSS kfwd ${r.peak.kfwd / MB} MB, agent ${r.peak.agent / MB} MB`);
    expect(r.out).toEqual({ connected: 2000, failed: 0, fresh: "still serving" });
    expect(r.code).toBe(0);
    // Before the budgets: kfwd 380–630 MB, the agent 720–890 MB.
    expect(r.peak.kfwd).toBeLessThan(250 * MB);
    expect(r.peak.agent).toBeLessThan(AGENT_MEMORY_LIMIT);
  }, 180_000);

  test("2,000 uploads of 1 MiB to an echo nobody reads: both sides stay within their budgets", async () => {
    const r = await hoard(profile, cluster.netns, ["echo", "2000", String(1 << 20)]);
    console.log(`2000 unread echoes: peak RSS kfwd ${r.peak.kfwd / MB} MB, agent ${r.peak.agent / MB} MB`);
    expect(r.out).toEqual({ connected: 2000, failed: 0, fresh: "still serving" });
    expect(r.code).toBe(0);
    // Before the budgets: kfwd 2.0–2.2 GB (each client's upload read whole), the agent 330–400 MB.
    expect(r.peak.kfwd).toBeLessThan(450 * MB);
    expect(r.peak.agent).toBeLessThan(AGENT_MEMORY_LIMIT);
  }, 180_000);
});
