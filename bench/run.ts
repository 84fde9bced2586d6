/**
 * kfwd's data-path benchmarks, all in one run so the numbers compare: servers inside a network namespace
 * (the "cluster"), the compiled kfwd with a local agent in it, and the same client bare as the baseline.
 * Needs root (ip netns) and a built dist/kfwd. Usage: npm run bench [-- --bytes 1073741824]
 * Prints a markdown table and writes bench/results/latest.json.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

const root = join(import.meta.dir, "..");
const kfwdBin = join(root, "dist/kfwd");
const bun = process.execPath;
const HOST = "127.0.99.10";
const NAME = "bench.kfwd.svc.cluster.local";
const netns = `kfwd-bench-${process.pid}`;
const bytesArg = process.argv.indexOf("--bytes");
const BYTES = bytesArg > 0 ? Number(process.argv[bytesArg + 1]) : 1 << 30;

function sh(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: ${r.stderr}`);
}

/** CPU seconds (user + system) a process has used so far; 0 once it is gone. */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8")
      .replace(/^.*\) /, "")
      .split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return 0;
  }
}

function loadAverage(): string {
  return readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
}

function rssKb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * Run a client scenario bare inside the namespace (baseline) or under kfwd; sample the RSS and CPU time of kfwd
 * and its agent. CPU seconds are the steadier number on a shared machine: MB/s moves with whatever else runs.
 */
async function scenario(
  via: "direct" | "kfwd",
  args: string[],
): Promise<{
  result: Record<string, number>;
  kfwdPeakMb: number;
  agentPeakMb: number;
  kfwdCpuS: number;
  agentCpuS: number;
}> {
  const client = [bun, join(root, "bench/client.ts"), ...args];
  const cmd = via === "direct" ? ["ip", "netns", "exec", netns, ...client] : [kfwdBin, "run", profile, "--", ...client];
  const child = spawn(cmd[0] as string, cmd.slice(1), {
    env: { ...process.env, BENCH_HOST: HOST, BENCH_NAME: NAME },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  let kfwdPeak = 0;
  let agentPeak = 0;
  let kfwdCpuS = 0;
  let agentCpuS = 0;
  const sampler = setInterval(() => {
    if (via !== "kfwd" || !child.pid) return;
    kfwdPeak = Math.max(kfwdPeak, rssKb(child.pid));
    kfwdCpuS = Math.max(kfwdCpuS, cpuSeconds(child.pid));
    for (const pid of agentPids()) {
      agentPeak = Math.max(agentPeak, rssKb(pid));
      agentCpuS = Math.max(agentCpuS, cpuSeconds(pid));
    }
  }, 50);
  await new Promise((r) => child.once("close", r));
  clearInterval(sampler);
  return {
    result: JSON.parse(out.trim().split("\n").pop() ?? "{}"),
    kfwdPeakMb: kfwdPeak / 1024,
    agentPeakMb: agentPeak / 1024,
    kfwdCpuS,
    agentCpuS,
  };
}

let serversPid = 0;
function agentPids(): number[] {
  const pids = spawnSync("ip", ["netns", "pids", netns], { encoding: "utf8" })
    .stdout.split("\n")
    .filter(Boolean)
    .map(Number);
  return pids.filter((p) => p !== serversPid);
}

sh("ip", ["netns", "add", netns]);
sh("ip", ["-n", netns, "link", "set", "lo", "up"]);
mkdirSync(`/etc/netns/${netns}`, { recursive: true });
writeFileSync(`/etc/netns/${netns}/hosts`, `127.0.0.1 localhost\n${HOST} ${NAME}\n`);
const profile = join(mkdtempSync(join(tmpdir(), "kfwd-bench-")), "bench.toml");
writeFileSync(profile, `[target]\nlocal = true\nnetns = "${netns}"\n`);
const servers = spawn("ip", ["netns", "exec", netns, bun, join(root, "bench/servers.ts"), HOST], {
  stdio: ["ignore", "pipe", "inherit"],
});
serversPid = servers.pid ?? 0;
const ports = JSON.parse(
  await new Promise<string>((r) => createInterface({ input: servers.stdout }).once("line", r)),
) as { sink: number; echo: number; source: number };

try {
  const rawTp = await scenario("direct", ["throughput", String(ports.sink), String(BYTES), "direct"]);
  const kfwdTp = await scenario("kfwd", ["throughput", String(ports.sink), String(BYTES), "socks"]);
  const quarter = await scenario("kfwd", ["throughput", String(ports.sink), String(BYTES / 4), "socks"]);
  const rawLat = await scenario("direct", ["latency", String(ports.echo), "5000", "direct"]);
  const kfwdLat = await scenario("kfwd", ["latency", String(ports.echo), "5000", "socks"]);
  const conc = await scenario("kfwd", ["concurrent", String(ports.echo), "1000"]);
  const loaded = await scenario("kfwd", ["loaded", String(ports.echo), String(ports.source), "1000"]);

  const r = {
    date: new Date().toISOString(),
    loadAverage: loadAverage(),
    bytes: BYTES,
    throughput: {
      rawMBps: rawTp.result.mbps,
      kfwdMBps: kfwdTp.result.mbps,
      ratio: (kfwdTp.result.mbps ?? 0) / (rawTp.result.mbps ?? 1),
    },
    latencyUs: {
      rawP50: rawLat.result.p50,
      rawP99: rawLat.result.p99,
      kfwdP50: kfwdLat.result.p50,
      kfwdP99: kfwdLat.result.p99,
      addedP50: (kfwdLat.result.p50 ?? 0) - (rawLat.result.p50 ?? 0),
      addedP99: (kfwdLat.result.p99 ?? 0) - (rawLat.result.p99 ?? 0),
    },
    concurrent: conc.result,
    underLoadUs: loaded.result,
    // Includes start-up (~0.1 s each), so small --bytes overstate it.
    cpuSecondsPerGiB: { kfwd: (kfwdTp.kfwdCpuS * (1 << 30)) / BYTES, agent: (kfwdTp.agentCpuS * (1 << 30)) / BYTES },
    peakRssMb: {
      kfwd: kfwdTp.kfwdPeakMb,
      agent: kfwdTp.agentPeakMb,
      kfwdQuarter: quarter.kfwdPeakMb,
      agentQuarter: quarter.agentPeakMb,
    },
  };
  writeFileSync(join(root, "bench/results/latest.json"), `${JSON.stringify(r, null, 2)}\n`);
  const f = (x: number | undefined, d = 1): string => (x === undefined ? "—" : x.toFixed(d));
  console.log(`| measure | result | goal |
|---|---|---|
| throughput, raw loopback | ${f(r.throughput.rawMBps)} MB/s | |
| throughput, SOCKS → tunnel → agent → sink | ${f(r.throughput.kfwdMBps)} MB/s | |
| ratio | ${f(r.throughput.ratio, 2)} | ≥ 0.5 |
| CPU per GiB uploaded, kfwd / agent | ${f(r.cpuSecondsPerGiB.kfwd, 2)} / ${f(r.cpuSecondsPerGiB.agent, 2)} s | |
| added latency p50 / p99 (1-byte echo) | ${f(r.latencyUs.addedP50, 0)} / ${f(r.latencyUs.addedP99, 0)} µs | p50 ≤ 100 µs |
| 1000 concurrent streams | ${r.concurrent.completed}/${r.concurrent.n} in ${f(r.concurrent.seconds, 2)} s, p99 ${f((r.concurrent.p99 ?? NaN) / 1000, 1)} ms | all complete |
| small request p50 / p99 during a bulk transfer | ${f(r.underLoadUs.p50, 0)} / ${f(r.underLoadUs.p99, 0)} µs | |
| peak RSS kfwd, ${BYTES >> 20} MiB / ${BYTES >> 22} MiB | ${f(r.peakRssMb.kfwd)} / ${f(r.peakRssMb.kfwdQuarter)} MB | ≤ 80 MB, flat |
| peak RSS agent, ${BYTES >> 20} MiB / ${BYTES >> 22} MiB | ${f(r.peakRssMb.agent)} / ${f(r.peakRssMb.agentQuarter)} MB | ≤ 60 MB, flat |
| load average at the end (1/5/15 min) | ${r.loadAverage} | |`);
} finally {
  servers.kill("SIGKILL");
  for (const pid of agentPids()) spawnSync("kill", ["-9", String(pid)]);
  spawnSync("ip", ["netns", "del", netns]);
  rmSync(`/etc/netns/${netns}`, { recursive: true, force: true });
}
