/**
 * Fuzzing both proxy ports of a running session (the compiled kfwd, a local agent in a network namespace), then
 * checking it recovered: it still serves, and its open streams, file descriptors and memory are back near their
 * baseline. A few seconds by default; KFWD_FUZZ_SECONDS=600 for a soak run (figures are printed to stderr).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SessionJson } from "../../src/session/status-text";
import { CLUSTER_ADDR, canMakeNetns, NAMES, PORTS, startFakeCluster, type FakeCluster } from "../helpers/fake-cluster";
import { kfwd, localProfile } from "../helpers/kfwd";
import { httpOf, socksOf } from "../helpers/session-json";

const SECONDS = Number(process.env.KFWD_FUZZ_SECONDS ?? 4);
/**
 * kfwd's peak RSS under the fuzz load. Its tunnel buffers are capped at 72 MiB (64 MiB receive + 8 MiB send
 * budget, docs/wire-protocol.md §5) over ~55 MB at rest; the rest is per-connection state and garbage not yet
 * collected. Measured: 83 MB in 4 s, 182 MB at the peak of a 300 s soak.
 */
const PEAK_RSS_MB = 256;
const fuzz = join(import.meta.dir, "../fixtures/clients/fuzz.ts");

const fds = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;
const rssMb = (pid: number): number =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;

describe.skipIf(!canMakeNetns())("fuzzing the proxies", () => {
  let cluster: FakeCluster;
  let xdg: string;
  const status = async (): Promise<SessionJson> =>
    (JSON.parse((await kfwd(["status", "--json"], { env: { XDG_RUNTIME_DIR: xdg } })).stdout) as SessionJson[])[0]!;

  beforeAll(async () => {
    cluster = await startFakeCluster();
    xdg = mkdtempSync(join(tmpdir(), "kfwd-xdg-"));
    expect((await kfwd(["up", localProfile(cluster.netns)], { env: { XDG_RUNTIME_DIR: xdg } })).code).toBe(0);
  });
  afterAll(async () => {
    await kfwd(["down", "--all"], { env: { XDG_RUNTIME_DIR: xdg } });
    await cluster?.stop();
    rmSync(xdg, { recursive: true, force: true });
  });

  test(
    `${SECONDS} s of abuse on both ports: still serving, streams, fds and memory back to baseline`,
    async () => {
      const s = await status();
      const curl = (proxy: string) =>
        spawnSync(
          "curl",
          ["-sS", "--fail", "--max-time", "10", "-x", proxy, `http://${NAMES.web}:${PORTS.http}/hello`],
          {
            encoding: "utf8",
          },
        ).stdout;
      expect(curl(`socks5h://${socksOf(s)}`)).toContain("hello from the cluster");
      const before = { fds: fds(s.pid), rss: rssMb(s.pid), streams: (await status()).openStreams };

      const run = Bun.spawn([process.execPath, fuzz, String(SECONDS), "24"], {
        env: { ...process.env, KFWD_SOCKS: socksOf(s), KFWD_HTTP: httpOf(s) },
        stdout: "pipe",
      });
      const peakRss = { mb: 0 };
      const sampler = setInterval(() => (peakRss.mb = Math.max(peakRss.mb, rssMb(s.pid))), 250);
      const out = JSON.parse(await new Response(run.stdout).text()) as { inputs: number };
      clearInterval(sampler);

      // Every client is gone: the session must let go of everything they held (a few seconds at most).
      let after = { fds: 0, streams: -1 };
      for (let i = 0; i < 150; i++) {
        after = { fds: fds(s.pid), streams: (await status()).openStreams ?? -1 };
        if (after.streams === 0 && after.fds <= before.fds + 2) break;
        await Bun.sleep(200);
      }
      const rss = rssMb(s.pid);
      console.error(
        `fuzz: ${out.inputs} inputs in ${SECONDS} s; kfwd RSS ${before.rss.toFixed(1)} → peak ${peakRss.mb.toFixed(1)} → ${rss.toFixed(1)} MB; fds ${before.fds} → ${after.fds}; open streams ${before.streams} → ${after.streams}`,
      );
      expect(after.streams).toBe(0);
      expect(after.fds).toBeLessThanOrEqual(before.fds + 2);
      expect(peakRss.mb).toBeLessThan(PEAK_RSS_MB);
      // Still serving: through both proxies, to a service started now. The fixture's own Bun.serve HTTP server
      // has been seen to stop accepting after ~60,000 hostile inputs (a runtime problem, not kfwd's: it then
      // times out even when reached directly inside its namespace), so it is not what this checks.
      const fresh = Bun.spawn(
        [
          "ip",
          "netns",
          "exec",
          cluster.netns,
          process.execPath,
          "-e",
          `Bun.serve({ hostname: "${CLUSTER_ADDR}", port: 8090, fetch: () => new Response("fresh after the fuzz") }); console.log("ready")`,
        ],
        { stdout: "pipe" },
      );
      await new Response(fresh.stdout).body?.getReader().read();
      const freshUrl = `http://${NAMES.web}:8090/`;
      const through = (proxy: string) =>
        spawnSync("curl", ["-sS", "--fail", "--max-time", "10", "-x", proxy, freshUrl], { encoding: "utf8" }).stdout;
      expect(through(`socks5h://${socksOf(s)}`)).toBe("fresh after the fuzz");
      expect(through(`http://${httpOf(s)}`)).toBe("fresh after the fuzz");
      fresh.kill();
      expect((await status()).state).toBe("up");
    },
    SECONDS * 1000 + 120_000,
  );
});
