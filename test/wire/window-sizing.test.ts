/**
 * Windows sized from RTT × rate (docs/wire-protocol.md §5): over a long link a stream whose window holds it back
 * is granted more credit than its starting window, a stream whose reader is the limit is not, and however many
 * streams grow, the credit granted stays within the session's receive budget, each stream within its share.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { FrameDecoder } from "../../wire/codec";
import { FrameType } from "../../wire/constants";
import type { IncomingOpen, Mux } from "../../wire/mux";
import type { MuxStream } from "../../wire/stream";
import { LONG_RTT_MS, MAX_GROWN_WINDOW, WindowSizer, creditStep } from "../../wire/window-sizing";
import { muxPair, tick } from "./helpers";

const KiB = 1024;
const MiB = 1024 * KiB;
/** Each way: a 40 ms round trip. */
const DELAY_MS = 20;

const open: Mux[] = [];
afterEach(() => {
  for (const m of open.splice(0)) m.close();
});

/** Agent side: accept, then write as fast as the stream accepts until it is destroyed. */
function flooder(request: IncomingOpen): void {
  const stream = request.accept();
  stream.on("error", () => {});
  const block = Buffer.alloc(16 * KiB, 1);
  const pump = (): void => {
    while (!stream.destroyed) if (!stream.write(block)) return void stream.once("drain", pump);
  };
  pump();
}

/** The opening window of the sessions below (the HELLO `window`: budget.ts OPENING_WINDOW). */
const OPENING = 16 * KiB;

/** Credit the client granted per stream beyond the opening window (every WINDOW_UPDATE), read off the wire as
 *  the agent receives it. */
function creditGranted(pair: ReturnType<typeof muxPair>): Map<number, number> {
  const granted = new Map<number, number>();
  const decoder = new FrameDecoder((type, _flags, id, payload) => {
    if (type === FrameType.WINDOW_UPDATE) granted.set(id, (granted.get(id) ?? 0) + payload.readUInt32BE(0));
  });
  pair.agentEnd.onData((data) => decoder.push(data));
  return granted;
}

/** A stream that counts what it received and reads as fast as it arrives. */
async function download(client: Mux, port: number): Promise<{ stream: MuxStream; received: () => number }> {
  const stream = (await client.open({ host: "bulk", port })).on("error", () => {});
  let received = 0;
  stream.on("data", (c: Buffer) => (received += c.length));
  return { stream, received: () => received };
}

describe("window sizing arithmetic", () => {
  test("a window that limits the rate doubles per round trip, up to 2 × rate × RTT and the cap", () => {
    const sizer = new WindowSizer(16 * MiB);
    sizer.start(0, 0);
    // 1 MiB per 50 ms round trip, all the window allows: grow (at most doubling).
    expect(sizer.sample(1 * MiB, 50, 50, 1 * MiB)).toBe(2 * MiB);
    // Within a round trip of the last decision: no new sample yet.
    expect(sizer.sample(2 * MiB, 60, 50, 1 * MiB)).toBe(2 * MiB);
    // The rate stopped rising (1 MiB per 50 ms again): 2 × rate × RTT = 2 MiB is what it has; no growth.
    expect(sizer.sample(2 * MiB, 100, 50, 1 * MiB)).toBe(2 * MiB);
    // Much faster: growth stops at the cap.
    for (let t = 150; t < 1000; t += 50) sizer.sample(t * MiB, t, 50, 1 * MiB);
    expect(sizer.window(1 * MiB)).toBe(16 * MiB);
    // A larger starting window set for the session still applies.
    expect(sizer.window(32 * MiB)).toBe(32 * MiB);
  });

  test("no round trip measured: the window stays where it started", () => {
    const sizer = new WindowSizer();
    sizer.start(0, 0);
    expect(sizer.sample(64 * MiB, 1000, undefined, 256 * KiB)).toBe(256 * KiB);
    expect(MAX_GROWN_WINDOW).toBe(32 * MiB);
  });

  test("credit goes back in eighth-window steps on a long link, half-window ones otherwise", () => {
    expect(creditStep(4 * MiB, LONG_RTT_MS)).toBe(512 * KiB);
    expect(creditStep(4 * MiB, 0.2)).toBe(2 * MiB);
    expect(creditStep(4 * MiB, undefined)).toBe(2 * MiB);
  });
});

describe("window sizing over a long link (memory transport, 40 ms round trip)", () => {
  test("a fast reader's stream is granted more than its starting window once the window limits it", async () => {
    const start = 64 * KiB;
    const pair = muxPair({ onStream: flooder }, { streamWindow: start, collectAboveRss: 0 }, undefined, DELAY_MS);
    open.push(pair.client, pair.agent);
    const granted = creditGranted(pair);
    const { stream, received } = await download(pair.client, 1);
    // Credit the agent may use beyond what the client received: at most one window in flight.
    let peakInFlight = 0;
    for (let i = 0; i < 300 && stream.window < 16 * start; i++) {
      await tick(5);
      peakInFlight = Math.max(peakInFlight, OPENING + (granted.get(stream.id) ?? 0) - received());
    }
    expect(stream.window).toBeGreaterThanOrEqual(16 * start);
    expect(peakInFlight).toBeGreaterThan(start);
    expect(pair.client.budget().used).toBeLessThanOrEqual(pair.client.budget().total);
  });

  test("a new stream on a link where one grew starts at that window, not the session's starting one", async () => {
    const start = 64 * KiB;
    const pair = muxPair({ onStream: flooder }, { streamWindow: start, collectAboveRss: 0 }, undefined, DELAY_MS);
    open.push(pair.client, pair.agent);
    const first = await download(pair.client, 1);
    for (let i = 0; i < 300 && first.stream.window < 8 * start; i++) await tick(5);
    expect(first.stream.window).toBeGreaterThanOrEqual(8 * start);
    const reached = first.stream.window;
    first.stream.destroy();
    const second = await download(pair.client, 2);
    expect(second.stream.window).toBeGreaterThanOrEqual(reached);
    second.stream.destroy();
  });

  test("a reader slower than the link keeps its stream at its starting window", async () => {
    const start = 64 * KiB;
    const pair = muxPair({ onStream: flooder }, { streamWindow: start, collectAboveRss: 0 }, undefined, DELAY_MS);
    open.push(pair.client, pair.agent);
    const stream = (await pair.client.open({ host: "bulk", port: 1 })).on("error", () => {});
    // Reads 4 KiB every 10 ms (0.4 MB/s, a quarter of what the window allows over 40 ms): the reader is the limit.
    const reader = setInterval(() => stream.read(4 * KiB), 10);
    await tick(800);
    clearInterval(reader);
    expect(stream.window).toBe(start);
  });

  test("many growing streams stay within the budget, each within its share as more arrive", async () => {
    const total = 8 * MiB;
    const pair = muxPair(
      { onStream: flooder },
      { streamWindow: 64 * KiB, receiveBudget: total, maxStreams: 64, collectAboveRss: 0 },
      undefined,
      DELAY_MS,
    );
    open.push(pair.client, pair.agent);
    const granted = creditGranted(pair);
    const first = await download(pair.client, 0);
    // Alone, the first stream grows well past its share of 16 streams.
    const share16 = total / 16;
    for (let i = 0; i < 300 && first.stream.window <= 2 * share16; i++) await tick(5);
    expect(first.stream.window).toBeGreaterThan(2 * share16);

    const more = await Promise.all(Array.from({ length: 15 }, (_, i) => download(pair.client, i + 1)));
    const streams = [first, ...more];
    const inFlight = (s: (typeof streams)[number]): number => OPENING + (granted.get(s.stream.id) ?? 0) - s.received();
    // Credit cannot be taken back: the first stream gets none until it is back within its share.
    let settled = false;
    for (let i = 0; i < 400 && !settled; i++) {
      await tick(5);
      expect(pair.client.budget().used).toBeLessThanOrEqual(total);
      settled = streams.every((s) => inFlight(s) <= share16);
    }
    expect(settled).toBe(true);
    const receivedBefore = streams.map((s) => s.received());
    for (let i = 0; i < 40; i++) {
      await tick(5);
      expect(pair.client.budget().used).toBeLessThanOrEqual(total);
      for (const s of streams) expect(inFlight(s)).toBeLessThanOrEqual(share16);
    }
    // And all of them keep moving.
    expect(streams.every((s, i) => s.received() > receivedBefore[i]!)).toBe(true);
  });
});

describe("credit after the peer's FIN", () => {
  test("a finished stream nobody reads to its end holds only what it buffered, not the credit it was granted", async () => {
    const pair = muxPair(
      {
        onStream: (r) => {
          const s = r.accept().on("error", () => {}); // the session is closed under it at the end
          s.write(Buffer.alloc(64 * KiB, 1)); // a small response: the receiver grants its whole window on it
          s.end();
        },
      },
      { streamWindow: 4 * MiB, collectAboveRss: 0 },
    );
    open.push(pair.client, pair.agent);
    const stream = (await pair.client.open({ host: "web", port: 80 })).on("error", () => {});
    stream.read(0);
    for (let i = 0; i < 100 && stream.readableLength < 64 * KiB; i++) await tick(2);
    await tick(10);
    // Never read to the end (like a client that went away): the stream lives on, but the credit it was granted
    // beyond its 64 KiB is back in the budget for other streams.
    expect(stream.readableLength).toBe(64 * KiB);
    expect(pair.client.budget().used).toBeLessThanOrEqual(64 * KiB + 16 * KiB);
  });
});
