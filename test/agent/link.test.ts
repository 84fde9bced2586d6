/**
 * The agent's second link (docs/wire-protocol.md §12): after the `linkListen` call it serves one TCP connection
 * on 127.0.0.1 that presents the session secret; a wrong secret is closed with nothing served.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";
import { streamTransport } from "../../wire/stream-transport";
import { Mux } from "../../wire/mux";
import { LINK_SECRET_BYTES } from "../../wire/link";
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

async function connected(port: number): Promise<Socket> {
  const socket = connect({ host: "127.0.0.1", port });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  return socket;
}

/** Everything the agent sends on `socket` until it closes it. */
async function untilClosed(socket: Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  socket.on("data", (c: Buffer) => chunks.push(c));
  socket.on("error", () => {});
  await new Promise((resolve) => socket.once("close", resolve));
  return Buffer.concat(chunks);
}

test("a wrong secret is refused with nothing served; the right one then gets a link that carries streams", async () => {
  const secret = randomBytes(LINK_SECRET_BYTES);
  const { port } = await agent.mux.call("linkListen", { secret: secret.toString("hex") });

  const intruder = await connected(port);
  const served = untilClosed(intruder);
  intruder.write(randomBytes(LINK_SECRET_BYTES));
  expect((await served).length).toBe(0);
  while (!agent.stderr().includes("refused a link connection: wrong secret")) await Bun.sleep(5);

  const socket = await connected(port);
  socket.setNoDelay(true);
  socket.write(secret);
  const link = new Mux(streamTransport(socket, socket), { role: "client" });
  await link.ready;
  const stream = await link.open({ host: "127.0.0.1", port: echo.port });
  stream.end("over the second link");
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  expect(Buffer.concat(chunks).toString()).toBe("over the second link");

  // One link per secret: the listener is gone once it is up.
  await expect(connected(port)).rejects.toThrow();
  link.close("test done");
});

test("a malformed secret is an error, and nothing listens", async () => {
  const error = await agent.mux.call("linkListen", { secret: "short" }).catch((e: unknown) => e);
  expect((error as { code?: string }).code).toBe("KFWD_LINK_SECRET");
});
