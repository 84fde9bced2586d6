/**
 * A stolen connection once the host is gone (agent/incoming/connections.ts): with replace there is no origin
 * Service, so it waits, unread, for a Ready pod of the restored workload and is answered there — or is reset when
 * none comes in time. A host that refuses while the tunnel is still up is a reset, as before.
 * Real sockets on loopback: a "pod" echo server, the agent's listener, a client.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { type AddressInfo, connect, createServer, type Server, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { type PortContext, stealConnection } from "../../../agent/incoming/connections";
import { emptyPortStats } from "../../../wire/intercept";

let pod: Server;
let podPort = 0;

beforeAll(async () => {
  // The restored pod: answers "pod:" + what it got, then ends.
  pod = createServer({ allowHalfOpen: true }, (s) => {
    let got = "";
    s.setEncoding("latin1").on("data", (d: string) => (got += d));
    s.on("end", () => s.end(`pod:${got}`));
  });
  await new Promise<void>((resolve) => pod.listen(0, "127.0.0.1", resolve));
  podPort = (pod.address() as AddressInfo).port;
});
afterAll(() => pod.close());

interface Agent {
  port: number;
  ctx: PortContext;
  close(): void;
}

/** An agent listener whose connections go through stealConnection with `ctx` (its listen port: the pod's). */
async function agentWith(overrides: Partial<PortContext>): Promise<Agent> {
  const ctx: PortContext = {
    port: { service: "checkout", port: 80, listen: podPort },
    stats: emptyPortStats("checkout", 80),
    openHost: () => Promise.reject(new Error("no tunnel")),
    route: () => ({ to: "host" }),
    isPeer: () => false,
    hostGone: () => true,
    restoredPod: async () => undefined,
    closing: () => false,
    idle: new Set(),
    log: () => {},
    ...overrides,
  };
  const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (s) => {
    s.on("error", () => {});
    void stealConnection(s, ctx);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as AddressInfo).port, ctx, close: () => server.close() };
}

/** Sends `body`, half-closes, and says how the connection ended and what came back. */
function exchange(port: number, body: string): Promise<{ outcome: "end" | "reset" | string; got: string }> {
  return new Promise((resolve) => {
    let got = "";
    const s: Socket = connect({ host: "127.0.0.1", port, allowHalfOpen: true }, () => s.end(body));
    s.setEncoding("latin1").on("data", (d: string) => (got += d));
    s.once("end", () => resolve({ outcome: "end", got }));
    s.once("error", (e: NodeJS.ErrnoException) =>
      resolve({ outcome: e.code === "ECONNRESET" ? "reset" : `error ${e.code}`, got }),
    );
  });
}

test("replace, host gone: a connection waits for the restored pod and is answered there", async () => {
  let release!: (address: string) => void;
  const ready = new Promise<string>((resolve) => (release = resolve));
  const agent = await agentWith({ restoredPod: () => ready });
  const answer = exchange(agent.port, "GET /");
  await Bun.sleep(300); // no pod yet: the client waits
  expect(agent.ctx.stats.toOrigin).toBe(0);
  release("127.0.0.1");
  expect(await answer).toEqual({ outcome: "end", got: "pod:GET /" });
  expect(agent.ctx.stats.toOrigin).toBe(1);
  agent.close();
});

test("replace, host gone, no Ready pod in time: the client gets a reset", async () => {
  const agent = await agentWith({ restoredPod: async () => undefined });
  expect((await exchange(agent.port, "GET /")).outcome).toBe("reset");
  agent.close();
});

test("the tunnel ends while the host is asked: the connection goes to the restored pod", async () => {
  let gone = false;
  const agent = await agentWith({
    hostGone: () => gone,
    openHost: async (): Promise<Duplex> => {
      gone = true; // the tunnel ended under this request
      throw new Error("no tunnel");
    },
    restoredPod: async () => "127.0.0.1",
  });
  expect(await exchange(agent.port, "late")).toEqual({ outcome: "end", got: "pod:late" });
  agent.close();
});

test("the host app refuses while the tunnel is up: a reset, counted as refused", async () => {
  const agent = await agentWith({ hostGone: () => false, restoredPod: async () => "127.0.0.1" });
  expect((await exchange(agent.port, "x")).outcome).toBe("reset");
  expect(agent.ctx.stats.refused).toBe(1);
  agent.close();
});
