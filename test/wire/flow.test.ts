import { describe, expect, test } from "bun:test";
import type { MuxStream } from "../../wire/stream";
import type { IncomingOpen } from "../../wire/mux";
import { muxPair, readAll, tick } from "./helpers";

/** Writes as fast as the stream accepts until `stop` is called; counts what the writer got rid of. */
function flood(stream: MuxStream): { written: () => number; stop: () => void } {
  let written = 0;
  let stopped = false;
  const block = Buffer.alloc(16 * 1024, 7);
  const pump = (): void => {
    while (!stopped) {
      written += block.length;
      if (!stream.write(block)) return void stream.once("drain", pump);
    }
  };
  stream.on("error", () => {});
  pump();
  return { written: () => written, stop: () => ((stopped = true), stream.end()) };
}

describe("flow control", () => {
  test("a reader that stops reading holds at most one window, and does not delay another stream", async () => {
    const window = 64 * 1024;
    let flooder: ReturnType<typeof flood> | undefined;
    const onStream = (request: IncomingOpen): void => {
      const stream = request.accept();
      if (request.target.port === 1) flooder = flood(stream);
      else stream.pipe(stream);
    };
    const { client } = muxPair({ onStream }, { streamWindow: window });
    const stalled = await client.open({ host: "bulk", port: 1 });
    await tick(50);
    // Never read: the peer fills the window and stops there; its writer is held by backpressure.
    expect(stalled.readableLength).toBe(window);
    const heldByWriter = flooder!.written();
    await tick(50);
    expect(flooder!.written()).toBe(heldByWriter);
    expect(heldByWriter).toBeLessThan(window + 256 * 1024);

    const other = await client.open({ host: "small", port: 2 });
    const chunks: Buffer[] = [];
    other.on("data", (c: Buffer) => chunks.push(c));
    const started = performance.now();
    for (let i = 0; i < 20; i++) {
      other.write(`req ${i};`);
      while ((Buffer.concat(chunks).toString().match(/;/g)?.length ?? 0) <= i) await tick();
    }
    expect(performance.now() - started).toBeLessThan(1000);
    other.end();

    // Reading again releases the flood; everything arrives.
    let received = 0;
    stalled.on("data", (c: Buffer) => (received += c.length));
    await tick(50);
    flooder!.stop();
    await new Promise((resolve) => stalled.once("end", resolve));
    expect(received).toBe(flooder!.written());
    expect(received).toBeGreaterThan(heldByWriter);
  });

  test("a paused consumer never has more than the window buffered", async () => {
    const window = 16 * 1024;
    let flooder: ReturnType<typeof flood> | undefined;
    const { client } = muxPair({ onStream: (r) => (flooder = flood(r.accept())) }, { streamWindow: window });
    const stream = await client.open({ host: "bulk", port: 1 });
    let maxOver = Number.NEGATIVE_INFINITY;
    let total = 0;
    // Read in small bites with pauses, as a slow consumer would. The window may grow if the reader keeps up
    // (window-sizing.ts), so what is buffered is held to the window the stream has at that moment.
    while (total < 2 * 1024 * 1024) {
      await tick(0);
      maxOver = Math.max(maxOver, stream.readableLength - Math.max(window, stream.window));
      const chunk = stream.read(3000) as Buffer | null;
      if (chunk) total += chunk.length;
      else await new Promise((resolve) => stream.once("readable", resolve));
    }
    flooder!.stop();
    stream.resume();
    expect(maxOver).toBeLessThanOrEqual(0);
  });

  test("the writable side waits for credit: a sender cannot overrun a slow receiver", async () => {
    const window = 8 * 1024;
    let agentStream: MuxStream | undefined;
    const { client } = muxPair({ onStream: (r) => (agentStream = r.accept()), streamWindow: window });
    const stream = await client.open({ host: "h", port: 1 });
    const payload = Buffer.alloc(1024 * 1024, 3);
    const accepted = stream.write(payload);
    stream.end();
    expect(accepted).toBe(false);
    await tick(20);
    expect(agentStream!.readableLength).toBeGreaterThan(0);
    expect(agentStream!.readableLength).toBeLessThanOrEqual(window); // a stalled reader gets no growth beyond it
    const sent = client.stats().bytesSent;
    await tick(20);
    expect(client.stats().bytesSent).toBe(sent);
    expect((await readAll(agentStream!)).equals(payload)).toBe(true);
  });

  test("round-robin: small exchanges keep a low latency while a bulk transfer saturates the transport", async () => {
    let flooder: ReturnType<typeof flood> | undefined;
    const onStream = (request: IncomingOpen): void => {
      const stream = request.accept();
      if (request.target.port === 1) flooder = flood(stream);
      else stream.pipe(stream);
    };
    const { client } = muxPair({ onStream }, {}, 64 * 1024);
    const bulk = await client.open({ host: "bulk", port: 1 });
    let bulkBytes = 0;
    bulk.on("data", (c: Buffer) => (bulkBytes += c.length));
    await tick(20);
    const small = await client.open({ host: "small", port: 2 });
    const chunks: Buffer[] = [];
    small.on("data", (c: Buffer) => chunks.push(c));
    const before = bulkBytes;
    const latencies: number[] = [];
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      small.write("x");
      while (Buffer.concat(chunks).length <= i) await new Promise((resolve) => setImmediate(resolve));
      latencies.push(performance.now() - started);
    }
    const during = bulkBytes - before;
    flooder!.stop();
    small.end();
    await new Promise((resolve) => bulk.once("end", resolve));
    latencies.sort((a, b) => a - b);
    // Each exchange waits for at most a batch or two of bulk frames, not for the bulk stream's backlog.
    expect(latencies[10]!).toBeLessThan(50);
    expect(during).toBeGreaterThan(1024 * 1024);
  });
});
