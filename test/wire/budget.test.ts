import { describe, expect, test } from "bun:test";
import { AGENT_RECEIVE_BUDGET, agentReceiveBudget, ReceiveBudget } from "../../wire/budget";
import type { IncomingOpen, Mux } from "../../wire/mux";
import type { MuxStream } from "../../wire/stream";
import { muxPair, tick } from "./helpers";

const KiB = 1024;
const MiB = 1024 * KiB;

/** Agent side: accept, then write as fast as the stream accepts, forever. */
function flooder(streams: MuxStream[] = []): (request: IncomingOpen) => void {
  return (request) => {
    const stream = request.accept();
    streams.push(stream);
    stream.on("error", () => {});
    const block = Buffer.alloc(16 * KiB, 1);
    const pump = (): void => {
      while (!stream.destroyed) if (!stream.write(block)) return void stream.once("drain", pump);
    };
    pump();
  };
}

/** Opens a stream whose errors (the session closing at the end of a test) are expected. */
async function open(client: Mux, port: number): Promise<MuxStream> {
  return (await client.open({ host: "h", port })).on("error", () => {});
}

describe("receive budget arithmetic", () => {
  test("opening windows are kept for maxStreams streams; growth never eats into them", () => {
    const b = new ReceiveBudget({ total: 1 * MiB, streamWindow: 256 * KiB, maxStreams: 16 });
    expect(b.opening).toBe(16 * KiB); // half the budget over 16 streams is 32 KiB: capped at OPENING_WINDOW
    expect(b.tryAdmit()).toBe(true);
    // Alone, a stream may grow to its full window.
    expect(b.grantable(b.opening)).toBe(240 * KiB);
    b.commit(240 * KiB);
    for (let i = 1; i < 16; i++) expect(b.tryAdmit()).toBe(true);
    expect(b.tryAdmit()).toBe(false); // a 17th waits
    // 16 opening windows (256 KiB) + 240 KiB are committed; 1 MiB / 16 = 64 KiB is each stream's share now.
    expect(b.target()).toBe(64 * KiB);
    expect(b.grantable(b.opening)).toBe(48 * KiB);
    expect(b.grantable(256 * KiB)).toBe(0); // above its share: nothing until it is back under
    expect(b.used).toBeLessThanOrEqual(b.total);
  });

  test("a stream that ends hands its slot to the first waiting open", async () => {
    const b = new ReceiveBudget({ total: 64 * KiB, streamWindow: 16 * KiB, maxStreams: 2 });
    expect(b.tryAdmit() && b.tryAdmit()).toBe(true);
    const admitted: string[] = [];
    b.whenAdmitted(() => admitted.push("first"));
    const cancel = b.whenAdmitted(() => admitted.push("second"));
    cancel();
    b.leave(b.opening);
    await tick();
    expect(admitted).toEqual(["first"]);
    expect(b.admitted).toBe(2);
  });
});

describe("the agent's receive budget from its memory limit", () => {
  const MiB = 1024 * 1024;
  test("unknown: sized for 128Mi; above it half of each extra byte, within 8–64 MiB", () => {
    expect(agentReceiveBudget(undefined)).toBe(AGENT_RECEIVE_BUDGET);
    expect(agentReceiveBudget(128 * MiB)).toBe(24 * MiB);
    expect(agentReceiveBudget(192 * MiB)).toBe(56 * MiB);
    expect(agentReceiveBudget(1024 * MiB)).toBe(64 * MiB);
    expect(agentReceiveBudget(64 * MiB)).toBe(8 * MiB);
  });
  test("a larger budget means a larger opening window and more growth room for one stream", () => {
    const small = new ReceiveBudget({ total: agentReceiveBudget(128 * MiB), streamWindow: 32 * MiB });
    const large = new ReceiveBudget({ total: agentReceiveBudget(192 * MiB), streamWindow: 32 * MiB });
    small.tryAdmit();
    large.tryAdmit();
    expect(large.opening).toBeGreaterThan(small.opening);
    expect(large.grantable(large.opening)).toBeGreaterThan(2 * small.grantable(small.opening));
  });
});

describe("session budgets over the memory transport", () => {
  test("streams that are never read hold at most the receive budget together", async () => {
    const budget = 1 * MiB;
    const { client } = muxPair(
      { onStream: flooder() },
      { receiveBudget: budget, maxStreams: 40, streamWindow: 256 * KiB, collectAboveRss: 0 },
    );
    const streams: MuxStream[] = [];
    for (let i = 0; i < 40; i++) streams.push(await open(client, i));
    for (const s of streams) s.pause();
    await tick(100);
    const buffered = streams.reduce((sum, s) => sum + s.readableLength, 0);
    expect(buffered).toBeLessThanOrEqual(budget);
    expect(client.budget().used).toBeLessThanOrEqual(budget);
    // Every stream got at least its opening window: none is starved by the others.
    for (const s of streams) expect(s.readableLength).toBeGreaterThanOrEqual(12 * KiB); // 1 MiB / 2 / 40
    client.close();
  });

  test("one stream alone still gets its whole window", async () => {
    const { client } = muxPair({ onStream: flooder() }, { streamWindow: 4 * MiB, collectAboveRss: 0 });
    const stream = await open(client, 1);
    stream.pause();
    await tick(100);
    expect(stream.readableLength).toBe(4 * MiB);
    client.close();
  });

  test("past maxStreams a new open waits for a stream to end, then goes through", async () => {
    const { client } = muxPair(
      { onStream: (r) => r.accept().on("error", () => {}) },
      { receiveBudget: 64 * KiB, maxStreams: 2, streamWindow: 16 * KiB, collectAboveRss: 0 },
    );
    const a = await open(client, 1);
    await open(client, 2);
    let third: MuxStream | undefined;
    void open(client, 3).then((s) => (third = s));
    await tick(50);
    expect(third).toBeUndefined();
    expect(client.budget().waitingOpens).toBe(1);
    a.destroy();
    await tick(50);
    expect(third).toBeDefined();
    client.close();
  });

  test("the accepting side queues a version 2 opener's opens beyond its own limit instead of buffering for them", async () => {
    const accepted: MuxStream[] = [];
    const { client, agent } = muxPair(
      {
        onStream: (r) => accepted.push(r.accept().on("error", () => {})),
        receiveBudget: 64 * KiB,
        maxStreams: 2,
        streamWindow: 16 * KiB,
        collectAboveRss: 0,
      },
      // Version 2 has no early data: an OPEN can wait for a slot without bytes arriving for it.
      { collectAboveRss: 0, protocolVersion: 2 },
    );
    await open(client, 1);
    await open(client, 2);
    let third: MuxStream | undefined;
    void open(client, 3).then((s) => (third = s));
    await tick(50);
    expect(third).toBeUndefined();
    expect(agent.budget().waitingOpens).toBe(1);
    accepted[0]!.destroy();
    await tick(50);
    expect(third).toBeDefined();
    client.close();
  });

  test("a stream whose peer has no credit for it stops its writer at its share of the send budget", async () => {
    const { client } = muxPair(
      {
        onStream: (r) =>
          void r
            .accept()
            .on("error", () => {})
            .pause(),
        streamWindow: 16 * KiB,
        collectAboveRss: 0,
      },
      { sendBudget: 64 * KiB, collectAboveRss: 0 },
    );
    const streams: MuxStream[] = [];
    for (let i = 0; i < 8; i++) streams.push(await open(client, i));
    // 64 KiB over 8 streams: each may queue 8 KiB before write() says stop (the peer took its 16 KiB window).
    const block = Buffer.alloc(4 * KiB);
    const written = streams.map((s) => {
      let n = 0;
      while (s.write(block)) n += block.length;
      return n + block.length;
    });
    await tick(50);
    for (const [i, s] of streams.entries()) {
      expect(written[i]!).toBeLessThanOrEqual(16 * KiB + 8 * KiB + block.length);
      expect(s.writableLength).toBeLessThanOrEqual(8 * KiB + block.length);
    }
    client.close();
  });

  test("a version 3 opener (it may send data with OPEN) is refused at the limit, not queued", async () => {
    const accepted: MuxStream[] = [];
    const { client } = muxPair(
      {
        onStream: (r) => accepted.push(r.accept().on("error", () => {})),
        receiveBudget: 64 * KiB,
        maxStreams: 2,
        streamWindow: 16 * KiB,
        collectAboveRss: 0,
      },
      { collectAboveRss: 0 },
    );
    await open(client, 1);
    await open(client, 2);
    const error = (await open(client, 3).catch((e: unknown) => e)) as { code?: string; message?: string };
    expect(error.code).toBe("KFWD_DIAL_REFUSED");
    expect(error.message).toContain("the most one session holds");
    client.close();
  });
});
