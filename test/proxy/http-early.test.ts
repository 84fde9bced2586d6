/**
 * The HTTP proxy over the tunnel with early data (protocol version 3): an absolute-URI request goes with the
 * OPEN, and a destination that refuses still gets the client a 502 naming the destination. The agent side is the
 * real agent dialer (agent/dial.ts) behind a Mux pair.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type http from "node:http";
import net from "node:net";
import { tcpDialer } from "../../agent/dial";
import type { Dialer } from "../../src/proxy/dialer";
import { startHttpProxy } from "../../src/proxy/http";
import type { ProxyServer } from "../../src/proxy/server";
import { muxPair } from "../wire/helpers";
import { closeServer, httpServer, listenLocal, run } from "./helpers/servers";

describe("HTTP proxy with early data over the tunnel", () => {
  const agentDialer = tcpDialer({ timeoutMs: 5000, log: () => {} });
  const pair = muxPair({ onStream: (r) => agentDialer.handle(r) });
  const opened: { early: boolean | undefined }[] = [];
  const dial: Dialer = (dest, options) => {
    opened.push({ early: options?.early });
    return pair.client.open(dest, undefined, options);
  };
  let app: http.Server;
  let appPort: number;
  let closedPort: number;
  let proxy: ProxyServer;

  beforeAll(async () => {
    app = httpServer();
    appPort = await listenLocal(app);
    const spare = net.createServer();
    closedPort = await listenLocal(spare);
    await closeServer(spare);
    proxy = await startHttpProxy({ dial });
  });
  afterAll(async () => {
    await proxy.close();
    await closeServer(app);
    agentDialer.closeAll();
    pair.client.close();
  });

  const curl = (...args: string[]) => run(["curl", "-sS", "-x", `http://127.0.0.1:${proxy.port}`, ...args]);

  test("a request is answered, its stream opened early", async () => {
    const r = await curl(`http://127.0.0.1:${appPort}/hi`);
    expect(r.stdout).toContain("GET /hi");
    expect(opened.at(-1)).toEqual({ early: true });
  });

  test("a refused destination is still a 502 naming the destination", async () => {
    const r = await curl("-i", `http://127.0.0.1:${closedPort}/`);
    expect(r.stdout).toMatch(/^HTTP\/1.1 502 Bad Gateway\r\n/);
    expect(r.stdout).toContain(`Cannot connect to "127.0.0.1:${closedPort}"`);
  });
});
