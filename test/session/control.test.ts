/** The control protocol in-process: a real unix socket, both sides, and the failure kinds a client tells apart. */
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ControlError, controlRequest, type SessionStats } from "../../src/session/control";
import { serveControl } from "../../src/session/control-server";

const dirs: string[] = [];
const socketPath = (): string => {
  const dir = mkdtempSync(join(tmpdir(), "kfwd-ctl-"));
  dirs.push(dir);
  return join(dir, "s.sock");
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const stats: SessionStats = {
  pid: 1,
  state: "up",
  agent: "a",
  uptimeMs: 5,
  openStreams: 2,
  bytesSent: 3,
  bytesReceived: 4,
  rttMs: 0.5,
  capabilities: {},
  reconnects: 0,
};

describe("control socket", () => {
  test("status, env and stop; the socket is 0600; stop runs after the reply", async () => {
    const path = socketPath();
    let stopped = 0;
    const server = await serveControl(path, {
      status: () => ({ stats }),
      env: () => ({ env: { A: "it's\n" }, rewrites: [] }),
      stop: () => stopped++,
    });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect((await controlRequest(path, "status")).stats).toEqual(stats);
    expect((await controlRequest(path, "env")).env).toEqual({ A: "it's\n" });
    expect(await controlRequest(path, "stop")).toEqual(expect.objectContaining({ stopping: true }));
    await Bun.sleep(20);
    expect(stopped).toBe(1);
    await server.close();
  });

  test("a stale socket file (a killed session's) is replaced on listen", async () => {
    const path = socketPath();
    writeFileSync(path, "");
    const server = await serveControl(path, {
      status: () => ({ stats }),
      env: () => ({ env: {}, rewrites: [] }),
      stop: () => {},
    });
    expect((await controlRequest(path, "status")).stats.pid).toBe(1);
    await server.close();
  });

  test("nobody listening is 'dead'; a silent peer is 'timeout'; garbage is 'protocol'", async () => {
    const kind = (p: Promise<unknown>): Promise<string> =>
      p.then(
        () => "ok",
        (e: unknown) => (e instanceof ControlError ? e.kind : String(e)),
      );
    expect(await kind(controlRequest(socketPath(), "status"))).toBe("dead");

    const silentPath = socketPath();
    const silent = createServer(() => {}).listen(silentPath);
    await new Promise((r) => silent.once("listening", r));
    expect(await kind(controlRequest(silentPath, "status", 200))).toBe("timeout");
    silent.close();

    const junkPath = socketPath();
    const junk = createServer((s) => s.end("not json\n")).listen(junkPath);
    await new Promise((r) => junk.once("listening", r));
    expect(await kind(controlRequest(junkPath, "status"))).toBe("protocol");
    junk.close();
  });

  test("a request in another protocol version is refused with a reason", async () => {
    const path = socketPath();
    const server = await serveControl(path, {
      status: () => ({ stats }),
      env: () => ({ env: {}, rewrites: [] }),
      stop: () => {},
    });
    const reply = await new Promise<string>((resolve) => {
      const c = createConnection({ path }, () => c.write('{"v":99,"op":"status"}\n'));
      let text = "";
      c.setEncoding("utf8")
        .on("data", (d: string) => (text += d))
        .on("close", () => resolve(text));
    });
    expect(JSON.parse(reply)).toEqual({ v: 1, ok: false, error: "unsupported version 99" });
    await server.close();
  });
});
