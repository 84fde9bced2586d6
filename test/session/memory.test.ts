/**
 * The session's memory bound, end to end: the compiled kfwd and a local agent in a network namespace, with
 * thousands of clients that never read what they asked for. Without a session-wide budget each stream buffered
 * at least a socket read on both sides (kfwd 0.4–2.2 GB, the agent 0.4–0.9 GB); with it the agent stays under
 * its container's memory limit — 128Mi for the budget of an agent whose limit is unknown, and the default 192Mi
 * for the larger budget the agent takes from it (KFWD_AGENT_MEMORY_LIMIT) — and kfwd well under a tenth of what
 * it took. Generous margins: memory, not time.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { canMakeNetns, startFakeCluster, type FakeCluster } from "../helpers/fake-cluster";
import { kfwd, localProfile } from "../helpers/kfwd";

const clients = join(import.meta.dir, "../fixtures/clients");
const MB = 1e6;
const MiB = 1024 * 1024;

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
async function hoard(profile: string, netns: string, args: string[], env: Record<string, string>) {
  const run = kfwd(["run", profile, "--", process.execPath, join(clients, "hoard.ts"), ...args], {
    timeoutMs: 170_000,
    env,
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

  // An agent without a known limit (local, ephemeral) keeps the budget sized for 128Mi; a Job's agent is told its
  // container's limit and takes a larger budget from it, still under that limit.
  for (const { limit, env } of [
    { limit: 128 * MiB, env: {} },
    { limit: 192 * MiB, env: { KFWD_AGENT_MEMORY_LIMIT: String(192 * MiB) } },
  ]) {
    const under = `${limit / MiB}Mi`;
    test(`2,000 downloads whose clients never read: kfwd and the agent stay within their budgets (agent under ${under})`, async () => {
      const r = await hoard(profile, cluster.netns, ["download", "2000", String(8 << 20)], env);
      console.log(
        `2000 unread downloads (${under}): peak RSS kfwd ${r.peak.kfwd / MB} MB, agent ${r.peak.agent / MB} MB`,
      );
      expect(r.out).toEqual({ connected: 2000, failed: 0, fresh: "still serving" });
      expect(r.code).toBe(0);
      // Before the budgets: kfwd 380–630 MB, the agent 720–890 MB.
      expect(r.peak.kfwd).toBeLessThan(250 * MB);
      expect(r.peak.agent).toBeLessThan(limit);
    }, 180_000);

    test(`2,000 uploads of 1 MiB to an echo nobody reads: both sides stay within their budgets (agent under ${under})`, async () => {
      const r = await hoard(profile, cluster.netns, ["echo", "2000", String(1 << 20)], env);
      console.log(`2000 unread echoes (${under}): peak RSS kfwd ${r.peak.kfwd / MB} MB, agent ${r.peak.agent / MB} MB`);
      expect(r.out).toEqual({ connected: 2000, failed: 0, fresh: "still serving" });
      expect(r.code).toBe(0);
      // Before the budgets: kfwd 2.0–2.2 GB (each client's upload read whole), the agent 330–400 MB.
      expect(r.peak.kfwd).toBeLessThan(450 * MB);
      expect(r.peak.agent).toBeLessThan(limit);
    }, 180_000);
  }
});
