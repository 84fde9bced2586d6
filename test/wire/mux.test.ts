import { describe, expect, test } from "bun:test";
import { KfwdError } from "../../src/errors";
import { ResetReason } from "../../wire/constants";
import type { MuxStream } from "../../wire/stream";
import { echo, muxPair, readAll, tick } from "./helpers";

describe("mux streams", () => {
  test("open, data both ways, half-close: the client ends and still receives the whole response", async () => {
    const { client } = muxPair({
      onStream: (request) => {
        expect(request.target).toEqual({ host: "svc.ns", port: 80 });
        const stream = request.accept();
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        // Answer only after the request is complete (like an HTTP/1.0 server reading to EOF).
        stream.on("end", () => {
          const request = Buffer.concat(chunks).toString();
          stream.write("got:");
          stream.end(Buffer.alloc(300_000, request));
        });
      },
    });
    const stream = await client.open({ host: "svc.ns", port: 80 });
    expect(stream.id % 2).toBe(1);
    stream.write("ab");
    stream.end("c");
    const response = await readAll(stream);
    expect(response.length).toBe(300_004);
    expect(response.subarray(0, 10).toString()).toBe("got:abcabc");
    await tick(5);
    expect(client.stats().openStreams).toBe(0);
  });

  test("many streams at once carry their own bytes", async () => {
    const { client } = muxPair({ onStream: echo() });
    const results = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const stream = await client.open({ host: "h", port: i + 1 });
        const payload = Buffer.alloc(10_000 + i * 997, String(i));
        stream.end(payload);
        return (await readAll(stream)).equals(payload);
      }),
    );
    expect(results.every(Boolean)).toBe(true);
  });

  test("a refused open maps each reset reason to its KfwdError code", async () => {
    const reasons: Record<string, number> = {
      KFWD_DIAL_REFUSED: ResetReason.REFUSED,
      KFWD_DIAL_UNREACHABLE: ResetReason.UNREACHABLE,
      KFWD_DIAL_NAME_NOT_FOUND: ResetReason.NAME_NOT_FOUND,
      KFWD_DIAL_TIMEOUT: ResetReason.TIMEOUT,
      KFWD_DIAL_FAILED: ResetReason.FAILED,
    };
    const { client } = muxPair({ onStream: (request) => request.reject(request.target.port, "because") });
    for (const [code, reason] of Object.entries(reasons)) {
      const error = await client.open({ host: "x", port: reason }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KfwdError);
      expect((error as KfwdError).code as string).toBe(code);
      expect((error as KfwdError).message).toContain('"x:');
    }
  });

  test("a reset after open reaches the other side as a quiet hangup (ECONNRESET) with the reason", async () => {
    let agentStream: MuxStream | undefined;
    const { client } = muxPair({ onStream: (request) => (agentStream = request.accept()) });
    const stream = await client.open({ host: "h", port: 1 });
    const failed = new Promise<Error & { code?: string; reason?: number }>((resolve) => stream.once("error", resolve));
    agentStream!.reset(ResetReason.CONNECTION_RESET, "peer went away");
    const error = await failed;
    expect(error.code).toBe("ECONNRESET");
    expect(error.reason).toBe(ResetReason.CONNECTION_RESET);
    expect(error.message).toContain("peer went away");

    // And the other direction: destroying the client stream resets the agent side.
    const second = await client.open({ host: "h", port: 2 });
    const agentSide = agentStream!;
    const agentError = new Promise<Error & { reason?: number }>((resolve) => agentSide.once("error", resolve));
    second.destroy();
    expect((await agentError).reason).toBe(ResetReason.CANCELLED);
  });

  test("the agent can open streams too (even ids), for incoming connections", async () => {
    const { client, agent } = muxPair({}, { onStream: echo() });
    await agent.ready;
    const stream = await agent.open({ host: "127.0.0.1", port: 8080 });
    expect(stream.id % 2).toBe(0);
    stream.end("incoming");
    expect((await readAll(stream)).toString()).toBe("incoming");
    await client.ready;
  });

  test("a side without a stream handler refuses opens", async () => {
    const { client } = muxPair();
    const error = await client.open({ host: "h", port: 1 }).catch((e: KfwdError) => e);
    expect((error as KfwdError).code).toBe("KFWD_DIAL_REFUSED");
  });
});

describe("mux session", () => {
  test("ping measures a round trip", async () => {
    const { client } = muxPair();
    const rtt = await client.ping();
    expect(rtt).toBeGreaterThan(0);
    expect(rtt).toBeLessThan(1000);
    expect(client.stats().rttMs).toBe(rtt);
  });

  test("calls: results, errors with their codes, bodies larger than one frame, unsupported methods", async () => {
    const big = "v".repeat(100_000);
    const { client } = muxPair({
      handlers: {
        env: () => ({ env: { BIG: big } }),
        resolve: ({ name }) => {
          if (name === "nope")
            throw new KfwdError("KFWD_RESOLVE_NAME_NOT_FOUND", `Cannot resolve "${name}"`, "check it");
          return { addresses: [{ address: "10.0.0.1", family: 4 }] };
        },
      },
    });
    expect((await client.ready).capabilities).toEqual(["call:env", "call:resolve"]);
    expect(await client.call("resolve", { name: "db" })).toEqual({ addresses: [{ address: "10.0.0.1", family: 4 }] });
    expect((await client.call("env", {})).env.BIG).toBe(big);
    const error = (await client.call("resolve", { name: "nope" }).catch((e: unknown) => e)) as KfwdError;
    expect(error).toBeInstanceOf(KfwdError);
    expect([error.code, error.hint]).toEqual(["KFWD_RESOLVE_NAME_NOT_FOUND", "check it"]);

    const { client: bare } = muxPair();
    const unsupported = (await bare.call("env", {}).catch((e: unknown) => e)) as KfwdError;
    expect(unsupported.code).toBe("KFWD_CALL_UNSUPPORTED");
  });

  test("hello settles on the lower version; HELLO info is passed on", async () => {
    const { client, agent } = muxPair({ protocolVersion: 1, info: { agentVersion: "9" } }, { protocolVersion: 2 });
    const [fromAgent, fromClient] = await Promise.all([client.ready, agent.ready]);
    expect(fromAgent.version).toBe(1);
    expect(fromClient.version).toBe(1);
    expect(fromAgent.info).toEqual({ agentVersion: "9" });
  });

  test("a peer below the minimum version is refused", async () => {
    const { client } = muxPair({ protocolVersion: 0 });
    const error = (await client.ready.catch((e: unknown) => e)) as KfwdError;
    expect(error.code).toBe("KFWD_WIRE_VERSION");
    expect((await client.closed)?.message).toContain("version 0");
  });

  test("close sends GOAWAY: both sides end, open streams and pending work fail", async () => {
    const { client, agent } = muxPair({ onStream: (request) => void request.accept().on("error", () => {}) });
    const stream = await client.open({ host: "h", port: 1 });
    const streamError = new Promise<Error & { code?: string }>((resolve) => stream.once("error", resolve));
    client.close("done");
    expect(await client.closed).toBeUndefined();
    expect(await agent.closed).toBeUndefined();
    expect((await streamError).code).toBe("ECONNRESET");
    const late = (await client.open({ host: "h", port: 1 }).catch((e: unknown) => e)) as KfwdError;
    expect(late.code).toBe("KFWD_SESSION_CLOSED");
  });

  test("a transport that dies rejects waiting opens and calls", async () => {
    const { client, clientEnd } = muxPair({ onStream: () => {}, handlers: { env: () => new Promise(() => {}) } });
    await client.ready;
    const open = client.open({ host: "h", port: 1 }).catch((e: unknown) => e);
    const call = client.call("env", {}).catch((e: unknown) => e);
    await tick();
    clientEnd.destroy(new Error("cut"));
    expect(((await open) as KfwdError).code).toBe("KFWD_SESSION_CLOSED");
    expect(((await call) as KfwdError).code).toBe("KFWD_SESSION_CLOSED");
    expect((await client.closed)?.message).toBe("cut");
  });

  test("garbage from the peer ends the session with a protocol error", async () => {
    const { client, agentEnd } = muxPair();
    await client.ready;
    agentEnd.write(Buffer.from("bash: bun: command not found\n"));
    const error = (await client.closed) as KfwdError;
    expect(error.code).toBe("KFWD_WIRE_PROTOCOL");
    expect(error.message).toContain("command not found");
  });
});

describe("session start", () => {
  test("the peer's HELLO already read when the session starts (the exec stream's early bytes): ours still goes first", async () => {
    const { encodeFrame, FrameDecoder } = await import("../../wire/codec");
    const { FrameType } = await import("../../wire/constants");
    const { encodeHello } = await import("../../wire/payloads");
    const { Mux } = await import("../../wire/mux");
    const sent: number[] = [];
    const decoder = new FrameDecoder((type) => sent.push(type));
    const peerHello = encodeFrame(
      FrameType.HELLO,
      0,
      0,
      encodeHello({ version: 3, window: 16 * 1024, capabilities: [], info: {} }),
    );
    const mux = new Mux(
      {
        write: (data) => (decoder.push(data), true),
        // Like kfwd's exec stream: bytes that arrived before the session started are handed over at once.
        onData: (listener) => listener(peerHello),
        onDrain: () => {},
        onClose: () => {},
        close: () => {},
      },
      { role: "agent" },
    );
    await mux.ready;
    await tick();
    expect(sent[0]).toBe(FrameType.HELLO);
    expect(sent.length).toBeGreaterThan(1); // and a PING: the round trip that sizes windows
    mux.close();
  });
});
