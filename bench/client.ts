/**
 * Runs under `kfwd run` (or bare, for the loopback baseline) and measures one scenario, printing JSON.
 *   throughput <port> <bytes> <via>   upload to the sink; via = "direct" | "socks"
 *   latency <port> <rounds> <via>     1-byte echo round trips; prints p50/p99 in µs
 *   concurrent <echoPort> <n>         n streams at once, each a small echo; all must complete
 *   loaded <echoPort> <sourcePort> <rounds>  echo round trips while a bulk download runs
 */
import { connect, type Socket } from "node:net";
import { socksConnect } from "../test/helpers/socks-client";

const [scenario, ...args] = process.argv.slice(2);

const host = process.env.BENCH_HOST ?? "127.0.0.1";
// Through the proxy the servers are named, as cluster services are: loopback addresses always go direct.
const name = process.env.BENCH_NAME ?? host;

function open(port: number, via: string): Promise<Socket> {
  if (via === "socks") return socksConnect(process.env.KFWD_SOCKS!, name, port).then((s) => (s.setNoDelay(true), s));
  return new Promise((resolve) => {
    const s = connect({ port, host, noDelay: true }, () => resolve(s));
  });
}

async function throughput(port: number, bytes: number, via: string): Promise<object> {
  const s = await open(port, via);
  const chunk = Buffer.alloc(1 << 20, 1);
  const started = performance.now();
  const done = new Promise<string>((r) => {
    let t = "";
    s.on("data", (d) => (t += d));
    s.on("end", () => r(t));
  });
  for (let sent = 0; sent < bytes; sent += chunk.length) {
    if (!s.write(chunk)) await new Promise((r) => s.once("drain", r));
  }
  s.end();
  const received = Number(await done);
  const seconds = (performance.now() - started) / 1000;
  return { bytes: received, seconds, mbps: received / seconds / 1e6 };
}

async function pingPong(s: Socket, rounds: number): Promise<number[]> {
  const times: number[] = [];
  const one = Buffer.from([1]);
  for (let i = 0; i < rounds; i++) {
    const t = performance.now();
    await new Promise<void>((r) => {
      s.once("data", () => r());
      s.write(one);
    });
    times.push((performance.now() - t) * 1000);
  }
  return times;
}

const pct = (xs: number[], p: number): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};

async function latency(port: number, rounds: number, via: string): Promise<object> {
  const s = await open(port, via);
  await pingPong(s, 200); // warm up
  const times = await pingPong(s, rounds);
  s.destroy();
  return { p50: pct(times, 50), p99: pct(times, 99), rounds };
}

async function concurrent(port: number, n: number): Promise<object> {
  const started = performance.now();
  const results = await Promise.allSettled(
    Array.from({ length: n }, async () => {
      const s = await open(port, "socks");
      const t = await pingPong(s, 1);
      s.destroy();
      return t[0] as number;
    }),
  );
  const ok = results.filter((r) => r.status === "fulfilled").map((r) => (r as PromiseFulfilledResult<number>).value);
  return { n, completed: ok.length, p99: pct(ok, 99), seconds: (performance.now() - started) / 1000 };
}

async function loaded(echoPort: number, sourcePort: number, rounds: number): Promise<object> {
  const bulk = await open(sourcePort, "socks");
  let bulkBytes = 0;
  bulk.on("data", (d) => (bulkBytes += d.length));
  bulk.write(`${8 * 2 ** 30}\n`); // not `8 << 30`: shifts are 32-bit, that is 0
  await new Promise((r) => setTimeout(r, 300));
  const s = await open(echoPort, "socks");
  const times = await pingPong(s, rounds);
  s.destroy();
  bulk.destroy();
  return { p50: pct(times, 50), p99: pct(times, 99), rounds, bulkBytesDuring: bulkBytes };
}

const n = args.map((a) => (/^\d+$/.test(a) ? Number(a) : a));
const out =
  scenario === "throughput"
    ? await throughput(n[0] as number, n[1] as number, String(n[2]))
    : scenario === "latency"
      ? await latency(n[0] as number, n[1] as number, String(n[2]))
      : scenario === "concurrent"
        ? await concurrent(n[0] as number, n[1] as number)
        : scenario === "loaded"
          ? await loaded(n[0] as number, n[1] as number, n[2] as number)
          : { error: `unknown scenario ${scenario}` };
console.log(JSON.stringify(out));
process.exit(0);
