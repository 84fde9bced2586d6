/**
 * The SPDY upgrade against real local servers: a 101 that names the protocol hands over the socket (and any
 * bytes that came with the answer); a refusal, a wrong protocol or silence is an UpgradeRefused the caller can
 * fall back from (to WebSocket), carrying the server's status and body. Through an http:// proxy: a CONNECT tunnel
 * first, with the proxy URL's credentials.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { createServer, type Server, type Socket } from "node:net";
import type { StreamConnection } from "../../src/kube/client";
import { UpgradeRefused, upgradeToSpdy } from "../../src/kube/spdy/upgrade";
import { type ConnectProxy, startConnectProxy } from "../helpers/connect-proxy";

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** A server that reads one request head, passes it to `answer`, and writes what it returns. */
async function server(answer: (head: string, socket: Socket) => string | undefined): Promise<number> {
  const s = createServer((socket) => {
    let got = "";
    socket.on("data", (d) => {
      got += d.toString("latin1");
      if (!got.includes("\r\n\r\n")) return;
      const reply = answer(got, socket);
      if (reply !== undefined) socket.write(reply);
    });
    socket.on("error", () => {});
  });
  servers.push(s);
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  return (s.address() as { port: number }).port;
}

const conn = (port: number): StreamConnection => ({
  base: `ws://127.0.0.1:${port}/prefix`,
  headers: { Authorization: "Bearer secret-token" },
  tls: { rejectUnauthorized: true, caSource: "test" },
  auth: { headers: {}, method: "token" } as unknown as StreamConnection["auth"],
});

describe("SPDY upgrade", () => {
  test("a 101 naming the protocol hands over the socket with the bytes that followed the head", async () => {
    let head = "";
    const port = await server((h) => {
      head = h;
      return "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\n\r\nabc";
    });
    const { socket, rest } = await upgradeToSpdy(
      conn(port),
      "/api/v1/namespaces/ns/pods/p/portforward",
      "portforward.k8s.io",
      5000,
    );
    socket.destroy();
    expect(Buffer.from(rest).toString()).toBe("abc");
    expect(head).toStartWith("POST /prefix/api/v1/namespaces/ns/pods/p/portforward HTTP/1.1\r\n");
    expect(head).toContain("Upgrade: SPDY/3.1\r\n");
    expect(head).toContain("X-Stream-Protocol-Version: portforward.k8s.io\r\n");
    expect(head).toContain("Authorization: Bearer secret-token\r\n");
  });

  test("a refusal carries the server's status and body", async () => {
    const body = '{"kind":"Status","message":"pods \\"p\\" is forbidden"}';
    const port = await server(() => `HTTP/1.1 403 Forbidden\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    const error = await upgradeToSpdy(conn(port), "/x", "portforward.k8s.io", 5000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpgradeRefused);
    expect((error as UpgradeRefused).status).toBe(403);
    expect((error as UpgradeRefused).body).toBe(body);
  });

  test("a 101 for another protocol is refused, and so is a server that never answers", async () => {
    const other = await server(
      () =>
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n",
    );
    const wrong = await upgradeToSpdy(conn(other), "/x", "portforward.k8s.io", 5000).catch((e: unknown) => e);
    expect((wrong as Error).message).toContain('chose stream protocol "v4.channel.k8s.io"');
    const silent = await server(() => undefined);
    const timedOut = await upgradeToSpdy(conn(silent), "/x", "portforward.k8s.io", 200).catch((e: unknown) => e);
    expect(timedOut).toBeInstanceOf(UpgradeRefused);
    expect((timedOut as Error).message).toContain("no answer within 200 ms");
  });
});

describe("SPDY upgrade through the kubeconfig's proxy", () => {
  const proxies: ConnectProxy[] = [];
  afterEach(() => {
    for (const p of proxies.splice(0)) p.close();
  });

  test("an http:// proxy: a CONNECT tunnel with the URL's credentials, then the upgrade inside it", async () => {
    let head = "";
    const port = await server((h) => {
      head = h;
      return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\n\r\n";
    });
    const proxy = await startConnectProxy({ credentials: "alice:p@ss" });
    proxies.push(proxy);
    const url = proxy.url.replace("http://", "http://alice:p%40ss@");
    const { socket } = await upgradeToSpdy({ ...conn(port), proxy: url }, "/x", "portforward.k8s.io", 5000);
    socket.destroy();
    expect(proxy.heads).toHaveLength(1);
    expect(proxy.heads[0]).toStartWith(`CONNECT 127.0.0.1:${port} HTTP/1.1\r\n`);
    expect(head).toStartWith("POST /prefix/x HTTP/1.1\r\n");
  });

  test("a proxy that refuses (407) is an UpgradeRefused with its answer; a socks5:// proxy is not tried", async () => {
    const port = await server(() => undefined);
    const proxy = await startConnectProxy({ credentials: "alice:right" });
    proxies.push(proxy);
    const refused = await upgradeToSpdy({ ...conn(port), proxy: proxy.url }, "/x", "portforward.k8s.io", 5000).catch(
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(UpgradeRefused);
    expect((refused as UpgradeRefused).status).toBe(407);
    expect((refused as Error).message).toContain('the proxy answered "HTTP/1.1 407 Proxy Authentication Required"');
    const socks = await upgradeToSpdy(
      { ...conn(port), proxy: "socks5://127.0.0.1:1" },
      "/x",
      "portforward.k8s.io",
      5000,
    ).catch((e: unknown) => e);
    expect(socks).toBeInstanceOf(UpgradeRefused);
    expect((socks as Error).message).toContain("a socks5:// proxy is not supported");
  });
});
