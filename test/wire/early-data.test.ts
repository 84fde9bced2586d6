/**
 * Early data (protocol version 3): what the opener writes right after OPEN travels with it instead of a round
 * trip later, and a refused open still reaches the opener as the dial's error.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { FrameDecoder } from "../../wire/codec";
import { FrameType, ResetReason } from "../../wire/constants";
import type { IncomingOpen, Mux } from "../../wire/mux";
import { EARLY_DATA_SINCE } from "../../wire/version";
import { muxPair, readAll, tick } from "./helpers";

const open: Mux[] = [];
afterEach(() => {
  for (const m of open.splice(0)) m.close();
});

/** Names of the stream frames the agent received, in order. */
function recordFrames(pair: ReturnType<typeof muxPair>): string[] {
  const frames: string[] = [];
  const names: Record<number, string> = { [FrameType.OPEN]: "OPEN", [FrameType.DATA]: "DATA" };
  const decoder = new FrameDecoder((type) => names[type] && frames.push(names[type]));
  pair.agentEnd.onData((data) => decoder.push(data));
  return frames;
}

describe("early data", () => {
  test("the opener's first bytes arrive with its OPEN, before the receiver accepts", async () => {
    let request: IncomingOpen | undefined;
    const pair = muxPair({ onStream: (r) => void (request = r) }, {}, undefined, 5);
    open.push(pair.client, pair.agent);
    const frames = recordFrames(pair);
    const stream = await pair.client.open({ host: "db", port: 5432 }, undefined, { early: true });
    stream.write("GET / HTTP/1.1\r\n\r\n");
    // Unanswered, the agent still gets the request: it does not wait a round trip for ACCEPT.
    for (let i = 0; i < 200 && frames.length < 2; i++) await tick(1);
    expect(frames).toEqual(["OPEN", "DATA"]);
    expect(request).toBeDefined();
    if (!request) return;
    const accepted = request.accept();
    accepted.end("HTTP/1.1 200 OK\r\n\r\n");
    stream.end();
    expect((await readAll(accepted)).toString()).toBe("GET / HTTP/1.1\r\n\r\n");
    expect((await readAll(stream)).toString()).toBe("HTTP/1.1 200 OK\r\n\r\n");
    await stream.connected;
  });

  test("a refused open ends the early stream with the dial's error", async () => {
    const pair = muxPair({ onStream: (r) => r.reject(ResetReason.REFUSED, "connect ECONNREFUSED") });
    open.push(pair.client, pair.agent);
    const stream = await pair.client.open({ host: "db", port: 5432 }, undefined, { early: true });
    stream.write("hello");
    const error = await new Promise<Error>((resolve) => stream.once("error", resolve));
    expect(error).toMatchObject({ code: "KFWD_DIAL_REFUSED" });
    await expect(stream.connected).rejects.toMatchObject({ code: "KFWD_DIAL_REFUSED" });
  });

  test("the opener giving up before the answer: the receiver's accept gets a closed stream and sends nothing", async () => {
    let request: IncomingOpen | undefined;
    const pair = muxPair({ onStream: (r) => void (request = r) });
    open.push(pair.client, pair.agent);
    const stream = await pair.client.open({ host: "db", port: 5432 }, undefined, { early: true });
    stream.write("x");
    while (!request) await tick(1);
    stream.destroy();
    await tick(5);
    const accepted = request.accept();
    expect(accepted.destroyed).toBe(true);
    await tick(5);
    expect(pair.client.stats().openStreams).toBe(0);
    expect(pair.agent.stats().openStreams).toBe(0);
    // Nothing of it stays behind on the opener either (no answer will ever come for it).
    expect((pair.client as unknown as { opening: Map<number, unknown> }).opening.size).toBe(0);
    await expect(stream.connected).rejects.toThrow("given up");
  });

  test("with a version 2 peer, an early open waits for ACCEPT as before", async () => {
    let request: IncomingOpen | undefined;
    const pair = muxPair({ onStream: (r) => void (request = r), protocolVersion: EARLY_DATA_SINCE - 1 });
    open.push(pair.client, pair.agent);
    let resolved = false;
    const opening = pair.client.open({ host: "db", port: 5432 }, undefined, { early: true }).then((s) => {
      resolved = true;
      return s;
    });
    while (!request) await tick(1);
    await tick(5);
    expect(resolved).toBe(false);
    const accepted = request.accept();
    accepted.end("hi");
    const stream = await opening;
    expect(stream.connected).toBeUndefined();
    stream.end();
    expect((await readAll(stream)).toString()).toBe("hi");
    await readAll(accepted);
  });
});
