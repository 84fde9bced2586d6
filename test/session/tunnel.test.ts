/**
 * The tunnel and session composition over in-memory transports: each "agent" is a real Mux with handlers, so
 * reconnects, after-connect hooks, agent-opened streams and several links run without processes or timing.
 */
import { describe, expect, test } from "bun:test";
import { Mux } from "../../wire/index";
import type { Capability } from "../../src/capabilities/capability";
import type { AgentLauncher } from "../../src/launch/types";
import { startSession } from "../../src/session/session";
import { EXTRA_LINK_WAIT_MS, Tunnel } from "../../src/session/tunnel";
import { memoryTransportPair } from "../../src/transport/memory";
import type { AgentConnection } from "../../src/transport/types";
import { Ui } from "../../src/ui/log";
import { echo, readAll } from "../wire/helpers";

/** A launcher whose every connect starts a fresh in-memory agent; `agents` holds them, newest last. */
function memoryLauncher(env: Record<string, string> = {}) {
  const agents: Mux[] = [];
  const connection = (): AgentConnection => {
    const [hostEnd, agentEnd] = memoryTransportPair();
    agents.push(new Mux(agentEnd, { role: "agent", onStream: echo(), handlers: { env: () => ({ env }) } }));
    return { transport: hostEnd, description: `memory agent ${agents.length}`, close: async () => hostEnd.close() };
  };
  const launcher: AgentLauncher = { label: "memory", connect: async () => connection(), dispose: async () => {} };
  return { launcher, agents, connection };
}

const quiet = { progress: () => {}, warn: () => {}, log: () => {}, pingIntervalMs: 60_000 };

async function roundTrip(tunnel: Tunnel, text: string): Promise<string> {
  const stream = await tunnel.dial({ host: "h", port: 1 });
  stream.end(text);
  return (await readAll(stream)).toString();
}

describe("tunnel", () => {
  test("after-connect hooks run on the first connect and again after the agent is lost", async () => {
    const { launcher, agents } = memoryLauncher();
    const seen: string[] = [];
    const tunnel = new Tunnel(launcher, {
      ...quiet,
      afterConnect: async () => {
        seen.push(tunnel.description);
      },
    });
    await tunnel.start();
    expect(seen).toEqual(["memory agent 1"]);
    expect(await roundTrip(tunnel, "one")).toBe("one");

    agents[0]?.close("agent killed");
    while (seen.length < 2) await Bun.sleep(1);
    expect(await roundTrip(tunnel, "two")).toBe("two");
    expect(seen).toEqual(["memory agent 1", "memory agent 2"]);
    expect(tunnel.reconnects).toBe(1);
    await tunnel.close();
  });

  test("a second link carries new streams too; losing it leaves the session up", async () => {
    const { launcher, agents, connection } = memoryLauncher();
    const tunnel = new Tunnel(launcher, quiet);
    await tunnel.start();
    await tunnel.addLink(connection());
    expect(tunnel.linkCount).toBe(2);
    const held = await tunnel.dial({ host: "h", port: 1 }); // keeps the first link busier
    expect(await roundTrip(tunnel, "on the second")).toBe("on the second");
    expect(agents[1]?.stats().bytesReceived).toBeGreaterThan(0);

    agents[1]?.close("second link cut");
    while (tunnel.linkCount > 1) await Bun.sleep(1);
    expect(tunnel.state).toBe("up");
    expect(tunnel.reconnects).toBe(0);
    expect(await roundTrip(tunnel, "still")).toBe("still");
    held.end();
    await readAll(held);
    await tunnel.close();
  });
});

describe("tunnel with a faster link", () => {
  /** Each connect: a first link (exec) whose faster link (portforward, higher priority) comes `after` ms later. */
  function linkedLauncher(after: number) {
    const agents: Mux[] = [];
    const agent = (): ReturnType<typeof memoryTransportPair>[0] => {
      const [hostEnd, agentEnd] = memoryTransportPair();
      agents.push(new Mux(agentEnd, { role: "agent", onStream: echo() }));
      return hostEnd;
    };
    const launcher: AgentLauncher = {
      label: "memory",
      connect: async () => {
        const first = agent();
        return {
          transport: first,
          description: "exec link",
          kind: "exec",
          close: async () => first.close(),
          extraLink: async () => {
            await Bun.sleep(after);
            const fast = agent();
            return {
              transport: fast,
              description: "fast link",
              kind: "portforward",
              tuning: { streamPriority: 1 },
              close: async () => fast.close(),
            };
          },
        };
      },
      dispose: async () => {},
    };
    return { launcher, agents };
  }
  const onFastLink = (tunnel: Tunnel): number =>
    tunnel.linkStats().find((l) => l.transport === "portforward")?.bytesSent ?? 0;

  test("after a reconnect, new streams wait for the faster link instead of staying on the first for life", async () => {
    const { launcher, agents } = linkedLauncher(200);
    let back = false;
    const tunnel = new Tunnel(launcher, { ...quiet, warn: (m) => void (back ||= m.startsWith("Tunnel is back")) });
    await tunnel.start();
    await tunnel.extraLinkSettled();
    agents[0]?.close("agent killed");
    while (!back) await Bun.sleep(1);
    expect(tunnel.linkStats().map((l) => l.transport)).toEqual(["exec"]); // the new agent's faster link is not up yet
    expect(await roundTrip(tunnel, "right after the reconnect")).toBe("right after the reconnect");
    expect(onFastLink(tunnel)).toBeGreaterThan(0);
    await tunnel.close();
  });

  test("a faster link that does not come within the wait leaves new streams on the first", async () => {
    const { launcher } = linkedLauncher(5_000);
    const tunnel = new Tunnel(launcher, quiet);
    await tunnel.start();
    const started = Date.now();
    expect(await roundTrip(tunnel, "slow")).toBe("slow");
    expect(Date.now() - started).toBeLessThan(EXTRA_LINK_WAIT_MS + 500);
    expect(onFastLink(tunnel)).toBe(0);
    await tunnel.close();
  });
});

describe("session composition", () => {
  test("capabilities start in order, get their agent-opened streams, shape the env and stop in reverse", async () => {
    const { launcher, agents } = memoryLauncher({ DATABASE_URL: "postgres://db:5432/x", HOME: "/root" });
    const events: string[] = [];
    const probe = (name: string, kinds: string[] = []): Capability => ({
      name,
      streamKinds: kinds,
      async start() {
        events.push(`start ${name}`);
      },
      async afterConnect() {
        events.push(`connected ${name}`);
      },
      onStream(open) {
        events.push(`${name} got ${open.kind} ${open.target.host}:${open.target.port}`);
        echo()(open);
      },
      envStages: [
        {
          phase: "rewrite",
          apply(draft) {
            if (name === "a") draft.rewrite("DATABASE_URL", "postgres://127.0.0.1:40000/x", name);
          },
        },
        { phase: "proxy", apply: (draft) => draft.add(`FROM_${name.toUpperCase()}`, "1") },
      ],
      describe: () => ({ lines: [`${name} here`], data: { name } }),
      async stop() {
        events.push(`stop ${name}`);
      },
    });
    const session = await startSession(
      {
        launcher,
        capabilities: [probe("a", ["incoming"]), probe("b")],
        env: { include: ["*"], exclude: ["HOME"], set: {} },
      },
      new Ui("quiet"),
    );
    expect(session.env).toEqual({ DATABASE_URL: "postgres://127.0.0.1:40000/x", FROM_A: "1", FROM_B: "1" });
    expect(session.rewrites).toEqual([
      { name: "DATABASE_URL", from: "postgres://db:5432/x", to: "postgres://127.0.0.1:40000/x", by: "a" },
    ]);
    expect(session.describe()).toEqual({
      a: { lines: ["a here"], data: { name: "a" } },
      b: { lines: ["b here"], data: { name: "b" } },
    });

    const incoming = await agents[0]!.open({ host: "10.0.0.9", port: 8080 }, "incoming");
    incoming.end("hi");
    expect((await readAll(incoming)).toString()).toBe("hi");
    const refused = await agents[0]!.open({ host: "x", port: 1 }, "files").catch((e: { code: string }) => e.code);
    expect(refused).toBe("KFWD_STREAM_UNSUPPORTED");

    await session.stop();
    expect(events).toEqual([
      "connected a",
      "connected b",
      "start a",
      "start b",
      "a got incoming 10.0.0.9:8080",
      "stop b",
      "stop a",
    ]);
  });

  test("a capability that fails to start stops those already started, and the agent", async () => {
    const { launcher } = memoryLauncher();
    const events: string[] = [];
    let disposed = false;
    const ok: Capability = {
      name: "ok",
      start: async () => void events.push("start ok"),
      describe: () => ({ lines: [], data: {} }),
      stop: async () => void events.push("stop ok"),
    };
    // A capability is stopped even when its own start failed half-way: stop undoes whatever it did.
    const bad: Capability = {
      ...ok,
      name: "bad",
      start: () => Promise.reject(new Error("port in use")),
      stop: async () => void events.push("stop bad"),
    };
    const error = await startSession(
      {
        launcher: { ...launcher, dispose: async () => void (disposed = true) },
        capabilities: [ok, bad],
        env: { include: ["*"], exclude: [], set: {} },
      },
      new Ui("quiet"),
    ).catch((e: Error) => e.message);
    expect(error).toBe("port in use");
    expect(events).toEqual(["start ok", "stop bad", "stop ok"]);
    expect(disposed).toBe(true);
  });
});
