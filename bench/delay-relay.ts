/**
 * A TCP relay that delays every chunk by half a round trip in each direction, for benchmarking over distance
 * on a kernel without netem. Unlike a rate limit it holds any amount in flight: a protocol whose window is
 * smaller than rate × RTT stalls here as it would on a long link. Runs as its own process so the bench's
 * blocking child runs do not stall its timers.
 *
 *   bun bench/delay-relay.ts <listen-host> <target-host:port> <rtt-ms>   → prints "port <n>" once listening
 */
import { createConnection, createServer, type Socket } from "node:net";

const [listenHost = "127.0.0.1", target = "", rttArg = "0"] = process.argv.slice(2);
const [targetHost = "", targetPort = ""] = target.split(/:(?=\d+$)/);
const oneWayMs = Number(rttArg) / 2;
if (!targetHost || !targetPort || !Number.isFinite(oneWayMs)) {
  console.error("usage: delay-relay.ts <listen-host> <target-host:port> <rtt-ms>");
  process.exit(2);
}

/** Past this many bytes waiting in the receiving socket (not in the delay line), the sender is paused. */
const OUTPUT_HIGH_WATER = 16 << 20;

/** Copies `from` to `to`, each chunk written `oneWayMs` after it arrived, in order. */
function delayed(from: Socket, to: Socket): void {
  const line: { due: number; data: Buffer }[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let ended = false;
  let paused = false;
  const flush = () => {
    timer = undefined;
    const now = performance.now();
    while (line.length > 0 && line[0]!.due <= now + 0.5) {
      const { data } = line.shift()!;
      if (!to.write(data) && to.writableLength > OUTPUT_HIGH_WATER && !paused) {
        paused = true;
        from.pause();
        to.once("drain", () => {
          paused = false;
          from.resume();
        });
      }
    }
    if (line.length > 0) timer = setTimeout(flush, line[0]!.due - now);
    else if (ended) to.end();
  };
  from.on("data", (data: Buffer) => {
    if (oneWayMs === 0) {
      line.push({ due: 0, data });
      flush();
      return;
    }
    line.push({ due: performance.now() + oneWayMs, data });
    timer ??= setTimeout(flush, oneWayMs);
  });
  from.on("end", () => {
    ended = true;
    if (line.length === 0 && timer === undefined) to.end();
  });
}

const server = createServer({ noDelay: true, allowHalfOpen: true }, (client) => {
  const upstream = createConnection({ host: targetHost, port: Number(targetPort), noDelay: true, allowHalfOpen: true });
  delayed(client, upstream);
  delayed(upstream, client);
  const close = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on("error", close);
  upstream.on("error", close);
  // Both directions end on their own (FIN after the delay line drains); this only catches a side that vanished.
  client.on("close", () => setTimeout(close, 2 * oneWayMs + 1000));
  upstream.on("close", () => setTimeout(close, 2 * oneWayMs + 1000));
});
server.listen(0, listenHost, () => {
  const address = server.address();
  if (address && typeof address === "object") console.log(`port ${address.port}`);
});
process.on("SIGTERM", () => process.exit(0));
