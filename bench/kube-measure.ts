/** Timing helpers for bench/kube.ts: percentiles, free ports, curl transfers, first responses, time to a child. */
import { spawn, spawnSync } from "node:child_process";

export interface Summary {
  n: number;
  median: number;
  p90: number;
  min: number;
  max: number;
}

/** Nearest-rank percentiles. */
export function summarize(values: readonly number[]): Summary {
  const s = [...values].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))] ?? Number.NaN;
  return { n: s.length, median: at(0.5), p90: at(0.9), min: s[0] ?? Number.NaN, max: s[s.length - 1] ?? Number.NaN };
}

/** One HTTP download with curl; MB/s (10^6 bytes) of the body. Throws unless all bytes arrived. */
export function curlMBps(url: string, bytes: number): number {
  const r = spawnSync("curl", ["-sS", "--fail", "-o", "/dev/null", "-w", "%{size_download} %{time_total}", url], {
    encoding: "utf8",
    timeout: 300_000,
  });
  const [size = "0", total = "0"] = r.stdout.trim().split(" ");
  if (r.status !== 0 || Number(size) !== bytes)
    throw new Error(`curl ${url}: got ${size} of ${bytes} bytes (${r.stderr.trim()})`);
  return bytes / Number(total) / 1e6;
}

/**
 * Runs `argv` whose last command prints the epoch in nanoseconds (`date +%s%N`) as soon as it starts;
 * returns ms from spawn to that moment, and to the end (teardown included).
 */
export async function timeToChild(argv: string[]): Promise<{ toChildMs: number; totalMs: number }> {
  const t0 = performance.timeOrigin + performance.now();
  const p0 = performance.now();
  const child = spawn(argv[0] as string, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
  const code = await new Promise<number | null>((r) => child.once("close", r));
  const totalMs = performance.now() - p0;
  const ns = /(\d{19})/.exec(out)?.[1];
  if (code !== 0 || !ns) throw new Error(`${argv.join(" ")} exited ${code}: ${err.trim().slice(-500)}`);
  return { toChildMs: Number(BigInt(ns) / 1000n) / 1000 - t0, totalMs };
}

/** A command for the Bun image that writes `bytes` zero bytes to stdout in 64 KiB writes, honouring backpressure. */
export function stdoutWriter(bytes: number): string[] {
  const script = `const b=Buffer.alloc(65536);let left=${bytes};const go=()=>{while(left>0){const n=Math.min(left,b.length);left-=n;if(!process.stdout.write(b.subarray(0,n))){process.stdout.once("drain",go);return}}};go()`;
  return ["bun", "-e", script];
}

/**
 * MB/s of a command's stdout (e.g. `kubectl exec`), from its first byte to its exit: the exec stream's own
 * rate without its setup (API server round trips, the process start in the pod). Throws unless all bytes arrived.
 */
export async function execMBps(argv: string[], bytes: number): Promise<number> {
  const child = spawn(argv[0] as string, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
  let got = 0;
  let first = 0;
  let err = "";
  child.stdout.on("data", (d: Buffer) => {
    if (got === 0) first = performance.now();
    got += d.byteLength;
  });
  child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
  const code = await new Promise<number | null>((r) => child.once("close", r));
  if (code !== 0 || got !== bytes)
    throw new Error(
      `${argv.slice(0, 6).join(" ")} …: exit ${code}, ${got} of ${bytes} bytes (${err.trim().slice(-300)})`,
    );
  return bytes / (performance.now() - first) / 1000;
}

/** Starts `kubectl port-forward` and resolves once it listens. */
export async function portForward(
  kubectlArgv: string[],
  env: Record<string, string> = {},
): Promise<{ stop: () => void }> {
  const child = spawn(kubectlArgv[0] as string, kubectlArgv.slice(1), {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  await new Promise<void>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`port-forward did not start: ${out}`)), 30_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes("Forwarding from")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (c) => reject(new Error(`port-forward exited ${c}: ${out}`)));
  });
  return { stop: () => child.kill("SIGTERM") };
}

/** One HTTP upload of `file` (`bytes` long) with curl; MB/s of curl's total time. Throws unless the sink got all. */
export function curlUploadMBps(url: string, file: string, bytes: number): number {
  const r = spawnSync(
    "curl",
    ["-sS", "--fail", "-H", "Expect:", "--data-binary", `@${file}`, "-w", " %{size_upload} %{time_total}", url],
    { encoding: "utf8", timeout: 300_000 },
  );
  const [received = "0", , total = "0"] = r.stdout.trim().split(" ");
  if (r.status !== 0 || Number(received) !== bytes)
    throw new Error(`curl upload ${url}: the sink got ${received} of ${bytes} bytes (${r.stderr.trim()})`);
  return bytes / Number(total) / 1e6;
}

/** A small request on a new TCP connection: ms from curl's start to the first response byte. */
export function firstResponseMs(url: string): number {
  const r = spawnSync("curl", ["-sS", "--fail", "-o", "/dev/null", "-w", "%{time_starttransfer}", url], {
    encoding: "utf8",
    timeout: 60_000,
  });
  if (r.status !== 0) throw new Error(`curl ${url}: ${r.stderr.trim()}`);
  return Number(r.stdout.trim()) * 1000;
}
