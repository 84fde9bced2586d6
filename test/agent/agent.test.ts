import { PROTOCOL_VERSION } from "../../wire/version";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import { createServer, type AddressInfo } from "node:net";
import type { KfwdError } from "../../src/errors";
import { ResetReason } from "../../wire/constants";
import type { MuxStream } from "../../wire/stream";
import { echoServer, startAgent, type AgentProcess } from "./helpers/agent";

let agent: AgentProcess;
let echo: Awaited<ReturnType<typeof echoServer>>;

beforeAll(async () => {
  echo = await echoServer();
  agent = startAgent();
  await agent.mux.ready;
});

afterAll(() => {
  agent.child.kill();
  echo.server.close();
});

/** Sends `total` pseudo-random bytes through `stream` while reading the echo; returns both digests. */
async function transfer(stream: MuxStream, total: number): Promise<{ sent: string; received: string; bytes: number }> {
  const block = randomBytes(1024 * 1024);
  const sentHash = createHash("sha256");
  const receivedHash = createHash("sha256");
  let bytes = 0;
  const received = new Promise<void>((resolve, reject) => {
    stream.on("data", (chunk: Buffer) => {
      receivedHash.update(chunk);
      bytes += chunk.length;
    });
    stream.once("end", resolve);
    stream.once("error", reject);
  });
  for (let sent = 0, i = 0; sent < total; i++) {
    // Vary each block so a reordered or repeated chunk changes the digest.
    const chunk = Buffer.from(block.subarray(0, Math.min(block.length, total - sent)));
    chunk.writeUInt32BE(i, 0);
    sentHash.update(chunk);
    sent += chunk.length;
    if (!stream.write(chunk)) await new Promise((resolve) => stream.once("drain", resolve));
  }
  stream.end();
  await received;
  return { sent: sentHash.digest("hex"), received: receivedHash.digest("hex"), bytes };
}

describe("agent process (bootstrap loader + real TCP)", () => {
  test("HELLO names the agent", async () => {
    const hello = await agent.mux.ready;
    expect(hello.version).toBe(PROTOCOL_VERSION);
    expect(hello.capabilities).toEqual(expect.arrayContaining(["call:env", "call:resolve"]));
    expect(hello.info.pid).toBe(String(agent.child.pid));
    expect(hello.info.bunVersion).toBe(Bun.version);
    expect(hello.info).toHaveProperty("hostname");
    expect(hello.info).toHaveProperty("agentVersion");
  });

  test("64 MiB through a real echo server arrive intact (sha256)", async () => {
    const stream = await agent.mux.open({ host: "127.0.0.1", port: echo.port });
    const result = await transfer(stream, 64 * 1024 * 1024);
    expect(result.bytes).toBe(64 * 1024 * 1024);
    expect(result.received).toBe(result.sent);
  }, 60_000);

  // About 6 s on a laptop-class machine; KFWD_TEST_SKIP_1GIB=1 skips it for quick runs.
  test.skipIf(process.env.KFWD_TEST_SKIP_1GIB === "1")(
    "1 GiB through a real echo server arrives intact (sha256)",
    async () => {
      const stream = await agent.mux.open({ host: "127.0.0.1", port: echo.port });
      const started = performance.now();
      const result = await transfer(stream, 1024 * 1024 * 1024);
      const seconds = (performance.now() - started) / 1000;
      console.error(`1 GiB echoed in ${seconds.toFixed(1)} s (${(1024 / seconds).toFixed(0)} MiB/s each way)`);
      expect(result.received).toBe(result.sent);
    },
    600_000,
  );

  test("a closed port is KFWD_DIAL_REFUSED", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = (await agent.mux.open({ host: "127.0.0.1", port }).catch((e: unknown) => e)) as KfwdError;
    expect(error.code).toBe("KFWD_DIAL_REFUSED");
  });

  test("the destination resetting its connection is a RESET (connection reset), never a FIN", async () => {
    // The destination answers the client's first byte, so the reset comes once the agent's connect is done (a
    // reset before that is a refused dial, not what this is about).
    const resetter = createServer((socket) => {
      socket.on("error", () => {});
      socket.once("data", () => socket.write(Buffer.alloc(64 * 1024, 1), () => socket.resetAndDestroy()));
    });
    await new Promise<void>((resolve) => resetter.listen(0, "127.0.0.1", resolve));
    const stream = await agent.mux.open({ host: "127.0.0.1", port: (resetter.address() as AddressInfo).port });
    stream.write("x");
    const ended = await new Promise<{ end: boolean; reason?: number | undefined }>((resolve) => {
      stream.resume();
      stream.once("end", () => resolve({ end: true }));
      stream.once("error", (e: Error & { reason?: number }) => resolve({ end: false, reason: e.reason }));
    });
    resetter.close();
    expect(ended).toEqual({ end: false, reason: ResetReason.CONNECTION_RESET });
  });

  test("an unknown name is KFWD_DIAL_NAME_NOT_FOUND", async () => {
    const error = (await agent.mux
      .open({ host: "no-such-host.invalid", port: 80 })
      .catch((e: unknown) => e)) as KfwdError;
    expect(error.code).toBe("KFWD_DIAL_NAME_NOT_FOUND");
  });

  test("resolve uses the agent's resolver", async () => {
    const { addresses } = await agent.mux.call("resolve", { name: "localhost", family: 4 });
    expect(addresses).toContainEqual({ address: "127.0.0.1", family: 4 });
    const error = (await agent.mux
      .call("resolve", { name: "no-such-host.invalid" })
      .catch((e: unknown) => e)) as KfwdError;
    expect(error.code).toBe("KFWD_RESOLVE_NAME_NOT_FOUND");
  });

  test("env is the agent's environment", async () => {
    const own = startAgent({ KFWD_TEST_MARKER: "from-the-pod", KFWD_AGENT_IDLE_TIMEOUT: "60000" });
    const { env } = await own.mux.call("env", {});
    expect(env.KFWD_TEST_MARKER).toBe("from-the-pod");
    expect(env.KFWD_AGENT_IDLE_TIMEOUT).toBeUndefined();
    own.mux.close();
    expect(await own.exitCode).toBe(0);
  });

  test("KFWD_AGENT_WINDOW is the window the agent grants each stream (uploads over a long link need it)", async () => {
    const own = startAgent({ KFWD_AGENT_WINDOW: String(4 << 20) });
    const hello = await own.mux.ready;
    expect(hello.info.streamWindow).toBe(String(4 << 20));
    own.mux.close();
    expect(await own.exitCode).toBe(0);
  });

  test("the agent's receive budget follows its container's memory limit (KFWD_AGENT_MEMORY_LIMIT)", async () => {
    const budgetOf = async (env: Record<string, string>): Promise<number> => {
      const own = startAgent(env);
      const hello = await own.mux.ready;
      own.mux.close();
      await own.exitCode;
      return Number(hello.info.receiveBudget);
    };
    const MiB = 1024 * 1024;
    expect(await budgetOf({})).toBe(24 * MiB);
    expect(await budgetOf({ KFWD_AGENT_MEMORY_LIMIT: String(192 * MiB) })).toBe(56 * MiB);
    expect(await budgetOf({ KFWD_AGENT_MEMORY_LIMIT: "not a number" })).toBe(24 * MiB);
  });

  test("the agent exits 0 when its stdin ends", async () => {
    const own = startAgent();
    await own.mux.ready;
    own.child.stdin!.end();
    expect(await own.exitCode).toBe(0);
    expect(own.stderr()).toContain("kfwd-agent: session up");
  });

  test("the agent exits after the idle timeout when kfwd goes silent", async () => {
    const own = startAgent({ KFWD_AGENT_IDLE_TIMEOUT: "300" });
    const hello = await own.mux.ready;
    expect(hello.info.idleTimeoutMs).toBe("300");
    // The client's keepalive (a third of the idle timeout) keeps it alive...
    await Bun.sleep(700);
    expect(own.child.exitCode).toBeNull();
    // ...until the client stops talking but keeps stdin open, as a hung kfwd would.
    own.child.stdout!.pause();
    (own.mux as unknown as { keepalive?: ReturnType<typeof setInterval> }).keepalive?.close();
    clearInterval((own.mux as unknown as { keepalive?: ReturnType<typeof setInterval> }).keepalive);
    expect(await own.exitCode).toBe(0);
    expect(own.stderr()).toContain("idle timeout");
  });
});
