import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type http from "node:http";
import net from "node:net";
import { DIAL_ERROR, type Dialer, dialError } from "../../src/proxy/dialer";
import type { ProxyServer } from "../../src/proxy/server";
import { startSocks5 } from "../../src/proxy/socks5";
import {
  closeServer,
  echoServer,
  fakeClusterDialer,
  halfCloseServer,
  httpServer,
  listenLocal,
  nodeSocks,
  rawExchange,
  run,
} from "./helpers/servers";

let web: http.Server;
let webPort: number;
let echo: ReturnType<typeof echoServer>;
let echoPort: number;
let echo6Port: number;
let echo6: ReturnType<typeof echoServer>;
let half: net.Server;
let halfPort: number;
let closedPort: number;
let cluster: ReturnType<typeof fakeClusterDialer>;
let proxy: ProxyServer;
const logs: string[] = [];

beforeAll(async () => {
  web = httpServer();
  webPort = await listenLocal(web);
  echo = echoServer();
  echoPort = await listenLocal(echo.server);
  echo6 = echoServer();
  echo6Port = await listenLocal(echo6.server, "::1");
  half = halfCloseServer();
  halfPort = await listenLocal(half);
  const gone = net.createServer();
  closedPort = await listenLocal(gone);
  await closeServer(gone);
  cluster = fakeClusterDialer({ "svc.cluster.test": webPort, "echo.cluster.test": echoPort });
  proxy = await startSocks5({ host: "127.0.0.1", port: 0, dial: cluster.dial, log: (m) => logs.push(m) });
});

afterAll(async () => {
  await proxy.close();
  await Promise.all([web, echo.server, echo6.server, half].map(closeServer));
});

describe("SOCKS5 with real clients", () => {
  test("curl socks5h: the name reaches the dialer unresolved", async () => {
    const r = await run([
      "curl",
      "-sS",
      "-x",
      `socks5h://127.0.0.1:${proxy.port}`,
      `http://svc.cluster.test:8080/hello`,
    ]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("GET /hello host=svc.cluster.test:8080 body=");
    expect(cluster.seen).toContainEqual({ host: "svc.cluster.test", port: 8080 });
  });

  test("hand-written Node client: domain, IPv4 and IPv6 (::1) CONNECT", async () => {
    const domain = await nodeSocks({
      proxyPort: proxy.port,
      atyp: "domain",
      host: "echo.cluster.test",
      port: 1,
      payload: "via name",
    });
    expect(domain).toMatchObject({ method: 0, rep: 0, text: "via name" });
    const v4 = await nodeSocks({
      proxyPort: proxy.port,
      atyp: "ipv4",
      host: "127.0.0.1",
      port: echoPort,
      payload: "via v4",
    });
    expect(v4).toMatchObject({ rep: 0, text: "via v4" });
    const v6 = await nodeSocks({
      proxyPort: proxy.port,
      atyp: "ipv6",
      host: "::1",
      port: echo6Port,
      payload: "via v6",
    });
    expect(v6).toMatchObject({ rep: 0, text: "via v6" });
    expect(cluster.seen).toContainEqual({ host: "::1", port: echo6Port });
  });

  test("handshake sent one byte at a time", async () => {
    const r = await nodeSocks({
      proxyPort: proxy.port,
      atyp: "domain",
      host: "echo.cluster.test",
      port: 1,
      trickle: true,
      payload: "slow",
    });
    expect(r).toMatchObject({ rep: 0, text: "slow" });
  });

  test("greeting, request and data in one segment: the data is forwarded, not lost", async () => {
    const r = await nodeSocks({
      proxyPort: proxy.port,
      atyp: "domain",
      host: "echo.cluster.test",
      port: 1,
      pipeline: true,
      payload: "optimistic",
    });
    expect(r).toMatchObject({ rep: 0, text: "optimistic" });
  });

  test("half-close: the client shuts its write side and still receives the whole response", async () => {
    const r = await nodeSocks({
      proxyPort: proxy.port,
      atyp: "ipv4",
      host: "127.0.0.1",
      port: halfPort,
      payload: "x".repeat(100_000),
    });
    expect(r).toMatchObject({ rep: 0, text: "got 100000 bytes after your FIN" });
  });
});

describe("SOCKS5 replies", () => {
  test("refused dial → REP 0x05", async () => {
    const r = await nodeSocks({ proxyPort: proxy.port, atyp: "ipv4", host: "127.0.0.1", port: closedPort });
    expect(r.rep).toBe(0x05);
  });

  test("dial errors map to reply codes", async () => {
    const codes = [
      [DIAL_ERROR.unreachable, 0x04],
      [DIAL_ERROR.nameNotFound, 0x04],
      [DIAL_ERROR.timeout, 0x04],
      [DIAL_ERROR.denied, 0x02],
      [DIAL_ERROR.failed, 0x01],
    ] as const;
    for (const [code, rep] of codes) {
      const dial: Dialer = (dest) => Promise.reject(dialError(code, dest));
      const p = await startSocks5({ host: "127.0.0.1", port: 0, dial });
      const r = await nodeSocks({ proxyPort: p.port, atyp: "domain", host: "nowhere.test", port: 80 });
      expect(r.rep).toBe(rep);
      await p.close();
    }
  });

  test("BIND and UDP ASSOCIATE → 0x07 command not supported", async () => {
    for (const cmd of [0x02, 0x03]) {
      const reply = await rawExchange(proxy.port, Uint8Array.of(5, 1, 0, 5, cmd, 0, 1, 127, 0, 0, 1, 0, 80));
      expect([...reply]).toEqual([5, 0, 5, 0x07, 0, 1, 0, 0, 0, 0, 0, 0]);
    }
  });

  test("unknown address type → 0x08", async () => {
    const reply = await rawExchange(proxy.port, Uint8Array.of(5, 1, 0, 5, 1, 0, 9, 0, 0));
    expect([...reply]).toEqual([5, 0, 5, 0x08, 0, 1, 0, 0, 0, 0, 0, 0]);
  });
});

describe("SOCKS5 robustness", () => {
  test("garbage and truncated handshakes close that connection only", async () => {
    expect((await rawExchange(proxy.port, "GET / HTTP/1.1\r\n\r\n")).length).toBe(0);
    expect((await rawExchange(proxy.port, Uint8Array.of(4, 1, 0, 80, 127, 0, 0, 1, 0))).length).toBe(0);
    expect([...(await rawExchange(proxy.port, Uint8Array.of(5, 2, 0), { end: true }))]).toEqual([]);
    expect([...(await rawExchange(proxy.port, Uint8Array.of(5, 1, 0, 5, 1, 0, 3, 20, 97), { end: true }))]).toEqual([
      5, 0,
    ]);
    expect([...(await rawExchange(proxy.port, Uint8Array.of(5, 1, 0x80)))]).toEqual([5, 0xff]);
    const r = await nodeSocks({
      proxyPort: proxy.port,
      atyp: "domain",
      host: "echo.cluster.test",
      port: 1,
      payload: "still serving",
    });
    expect(r).toMatchObject({ rep: 0, text: "still serving" });
    await Bun.sleep(50);
    expect(proxy.connections).toBe(0);
  });

  test("a client that never finishes its handshake is dropped after the timeout", async () => {
    const p = await startSocks5({ host: "127.0.0.1", port: 0, dial: cluster.dial, handshakeTimeoutMs: 200 });
    const started = Date.now();
    expect([...(await rawExchange(p.port, Uint8Array.of(5, 1, 0)))]).toEqual([5, 0]);
    expect(Date.now() - started).toBeLessThan(2_000);
    await p.close();
  });

  test("close() ends open connections", async () => {
    const p = await startSocks5({ host: "127.0.0.1", port: 0, dial: cluster.dial });
    const closed = rawExchange(
      p.port,
      Uint8Array.of(5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1, echoPort >> 8, echoPort & 0xff),
    );
    await Bun.sleep(100);
    expect(p.connections).toBe(1);
    await p.close();
    expect((await closed).length).toBe(12);
  });
});

describe("SOCKS5 authentication (RFC 1929)", () => {
  let authed: ProxyServer;
  beforeAll(async () => {
    authed = await startSocks5({
      host: "127.0.0.1",
      port: 0,
      dial: cluster.dial,
      auth: { username: "dev", password: "s3cret" },
    });
  });
  afterAll(() => authed.close());

  test("right credentials are accepted (curl and Node)", async () => {
    const r = await run([
      "curl",
      "-sS",
      "-x",
      `socks5h://dev:s3cret@127.0.0.1:${authed.port}`,
      "http://svc.cluster.test/a",
    ]);
    expect(r.stdout).toBe("GET /a host=svc.cluster.test body=");
    const n = await nodeSocks({
      proxyPort: authed.port,
      atyp: "domain",
      host: "echo.cluster.test",
      port: 1,
      auth: ["dev", "s3cret"],
      payload: "ok",
    });
    expect(n).toMatchObject({ method: 2, authStatus: 0, rep: 0, text: "ok" });
  });

  test("wrong or missing credentials are rejected", async () => {
    const r = await run([
      "curl",
      "-sS",
      "-x",
      `socks5h://dev:nope@127.0.0.1:${authed.port}`,
      "http://svc.cluster.test/a",
    ]);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe("");
    const wrongUser = await nodeSocks({
      proxyPort: authed.port,
      atyp: "domain",
      host: "echo.cluster.test",
      port: 1,
      auth: ["root", "s3cret"],
    });
    expect(wrongUser).toMatchObject({ method: 2, authStatus: 1, rep: null });
    const none = await nodeSocks({ proxyPort: authed.port, atyp: "domain", host: "echo.cluster.test", port: 1 });
    expect(none).toMatchObject({ method: 0xff, rep: null });
  });
});

describe("SOCKS5 load", () => {
  test("256 MiB each way through the proxy with matching sha256", async () => {
    const size = 256 * 1024 * 1024;
    const r = await nodeSocks({
      proxyPort: proxy.port,
      atyp: "ipv4",
      host: "127.0.0.1",
      port: echoPort,
      sendBytes: size,
    });
    expect(r.rep).toBe(0);
    expect(r.recvBytes).toBe(size);
    expect(r.recvSha).toBe(r.sentSha as string);
    expect(echo.received).toContain(r.sentSha as string);
  }, 120_000);

  test("500 concurrent connections all complete", async () => {
    const r = await nodeSocks({
      proxyPort: proxy.port,
      atyp: "domain",
      host: "echo.cluster.test",
      port: 1,
      payload: "concurrent",
      count: 500,
    });
    expect(r).toEqual({ ok: 500, failed: [] });
  }, 60_000);
});
