/**
 * Streams end when their clients do: a client that leaves a destination that never reads (or never answers its
 * HTTP request) releases the stream on both sides (kfwd's stream, the agent's connection); a client that only
 * half-closes keeps its connection.
 * The compiled kfwd as a background session (its status counts open streams), a local agent in a namespace.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { connect } from "node:net";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { SessionJson } from "../../src/session/status-text";
import { canMakeNetns, NAMES, PORTS, startFakeCluster, type FakeCluster } from "../helpers/fake-cluster";
import { kfwd, localProfile } from "../helpers/kfwd";
import { freePort } from "../helpers/ports";
import { httpOf, socksOf } from "../helpers/session-json";
import { splitHostPort } from "../helpers/socks-client";

const abandon = join(import.meta.dir, "../fixtures/clients/abandon.ts");
const FORWARD_PORT = await freePort();

describe.skipIf(!canMakeNetns())("streams end when their clients leave", () => {
  let cluster: FakeCluster;
  let xdg: string;
  let session: SessionJson;
  const status = async (): Promise<SessionJson> =>
    (JSON.parse((await kfwd(["status", "--json"], { env: { XDG_RUNTIME_DIR: xdg } })).stdout) as SessionJson[])[0]!;
  /** Connections the destination still holds, as its namespace's kernel sees them. */
  const atBlackhole = (): number =>
    spawnSync(
      "ip",
      ["netns", "exec", cluster.netns, "ss", "-Htn", "state", "established", `( sport = :${PORTS.blackhole} )`],
      {
        encoding: "utf8",
      },
    )
      .stdout.split("\n")
      .filter(Boolean).length;

  beforeAll(async () => {
    cluster = await startFakeCluster();
    xdg = mkdtempSync(join(tmpdir(), "kfwd-xdg-"));
    const profile = localProfile(
      cluster.netns,
      `\n[[forward]]\nlocal = ${FORWARD_PORT}\nremote = "${NAMES.echo}:${PORTS.blackhole}"\n`,
    );
    expect((await kfwd(["up", profile], { env: { XDG_RUNTIME_DIR: xdg } })).code).toBe(0);
    session = await status();
  });
  afterAll(async () => {
    await kfwd(["down", "--all"], { env: { XDG_RUNTIME_DIR: xdg } });
    await cluster?.stop();
    rmSync(xdg, { recursive: true, force: true });
  });

  /** Starts the client and resolves once it printed `line`. */
  const client = async (args: string[], line: string) => {
    const child = spawn(process.execPath, [abandon, ...args], {
      env: { ...process.env, KFWD_SOCKS: socksOf(session), KFWD_HTTP: httpOf(session) },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const lines = createInterface({ input: child.stdout! });
    await new Promise<void>((resolve, reject) => {
      lines.on("line", (l) => l === line && resolve());
      child.once("exit", (code) => reject(new Error(`client exited with ${code} before "${line}"`)));
    });
    return child;
  };

  const released = async (): Promise<void> => {
    for (let i = 0; i < 200; i++) {
      if ((await status()).openStreams === 0 && atBlackhole() === 0) return;
      await Bun.sleep(100);
    }
    throw new Error(`still open: ${(await status()).openStreams} streams, ${atBlackhole()} at the destination`);
  };

  const cases: [string, string[]][] = [
    ["SOCKS", ["socks", NAMES.echo, String(PORTS.blackhole)]],
    ["CONNECT", ["connect", NAMES.echo, String(PORTS.blackhole)]],
    ["absolute-URI POST", ["http", NAMES.echo, String(PORTS.blackhole)]],
    ["absolute-URI request left unanswered", ["request", NAMES.echo, String(PORTS.blackhole)]],
    ["forward", ["direct", "127.0.0.1", String(FORWARD_PORT)]],
  ];
  for (const [name, args] of cases) {
    test(`${name}: the client leaves a destination that never reads → the stream ends on both sides`, async () => {
      await client([...args, "close"], "closed");
      await released();
    }, 30_000);
  }

  const halfCases: [string, string[]][] = [
    ["SOCKS", ["socks", NAMES.echo, String(PORTS.blackhole)]],
    ["absolute-URI request", ["request", NAMES.echo, String(PORTS.blackhole)]],
  ];
  for (const [name, args] of halfCases) {
    test(`${name}: a client that half-closes keeps its stream until it leaves`, async () => {
      const child = await client([...args, "half"], "half-closed");
      await Bun.sleep(3_500); // several checks for departed clients
      expect((await status()).openStreams).toBe(1);
      expect(atBlackhole()).toBe(1);
      child.kill("SIGKILL");
      await released();
    }, 30_000);
  }

  test("a request body cut short by the client's FIN gets a 400 and the connection ends", async () => {
    const [host, port] = splitHostPort(httpOf(session));
    const reply = await new Promise<string>((resolve) => {
      let got = "";
      const s = connect({ host, port, allowHalfOpen: true }, () => {
        s.end(`POST http://${NAMES.echo}:${PORTS.blackhole}/ HTTP/1.1\r\nContent-Length: 100\r\n\r\n0123456789`);
      });
      s.setEncoding("latin1").on("data", (d: string) => (got += d));
      s.on("error", () => {});
      s.on("close", () => resolve(got));
    });
    expect(reply).toStartWith("HTTP/1.1 400 ");
    expect(reply).toContain("request body cut short");
    await released();
  }, 30_000);
});
