/**
 * The filter's per-request routing (agent/incoming/connections.ts) between real local HTTP servers: pipelined
 * requests on one connection each reach their side, chunked bodies and `Expect: 100-continue` pass, and an
 * upgrade stays with the side that matched, raw bytes both ways.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { type AddressInfo, connect, createServer, type Server, type Socket } from "node:net";
import { filterConnection, type PortContext } from "../../../agent/incoming/connections";
import { emptyPortStats, type InterceptPortStats } from "../../../wire/intercept";

/** An HTTP server answering "<tag> <method> <path> <body>"; "Upgrade: shout" turns the connection into an echo in capitals. */
function tagged(tag: string): HttpServer {
  const server = createHttpServer((req, res) => {
    let body = "";
    req.setEncoding("utf8").on("data", (d: string) => (body += d));
    req.on("end", () => res.end(`${tag} ${req.method} ${req.url} ${body}`));
  });
  server.on("upgrade", (_req, socket: Socket, rest: Buffer) => {
    socket.write("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: shout\r\n\r\n");
    if (rest.length > 0) socket.write(rest.toString().toUpperCase());
    socket.on("data", (d: Buffer) => socket.write(`${tag}:${d.toString().toUpperCase()}`));
  });
  return server;
}

const listen = async <S extends Server | HttpServer>(s: S): Promise<number> => {
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  return (s.address() as AddressInfo).port;
};
const dial = (port: number): Promise<Socket> =>
  new Promise((resolve, reject) => {
    const s = connect({ host: "127.0.0.1", port, allowHalfOpen: true });
    s.once("connect", () => resolve(s)).once("error", reject);
  });

let host: HttpServer;
let origin: HttpServer;
let agent: Server;
let agentPort = 0;
const stats: InterceptPortStats = emptyPortStats("checkout", 80);

beforeAll(async () => {
  host = tagged("host");
  origin = tagged("origin");
  const hostPort = await listen(host);
  const originPort = await listen(origin);
  const ctx: PortContext = {
    port: { service: "checkout", port: 80, listen: 0, origin: { host: "127.0.0.1", port: originPort } },
    stats,
    openHost: () => dial(hostPort),
    route: (head) => ((head.headers.get("x-dev-user") ?? []).includes("alice") ? { to: "host" } : { to: "origin" }),
    isPeer: () => false,
    hostGone: () => false,
    restoredPod: async () => undefined,
    closing: () => false,
    idle: new Set(),
    log: () => {},
  };
  agent = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) => void filterConnection(socket, ctx));
  agentPort = await listen(agent);
});

afterAll(() => {
  host.close();
  origin.close();
  agent.close();
});

/** Reads from `socket` until `done(text so far)`. */
function readUntil(socket: Socket, done: (text: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    const on = (d: Buffer): void => {
      text += d.toString("latin1");
      if (done(text)) {
        socket.off("data", on);
        resolve(text);
      }
    };
    socket.on("data", on);
    socket.once("close", () => reject(new Error(`closed after ${JSON.stringify(text)}`)));
  });
}
const bodies = (text: string): string[] =>
  text.split(/HTTP\/1\.1 \d+ [^\r]*\r\n(?:[^\r]+\r\n)*\r\n/).filter((s) => s.length > 0);

test("pipelined requests on one connection each reach their side, chunked bodies included", async () => {
  const c = await dial(agentPort);
  c.write(
    "GET /1 HTTP/1.1\r\nHost: x\r\nx-dev-user: alice\r\n\r\n" +
      "GET /2 HTTP/1.1\r\nHost: x\r\n\r\n" +
      "POST /3 HTTP/1.1\r\nHost: x\r\nx-dev-user: alice\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n" +
      "POST /4 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
  );
  const text = await readUntil(c, (t) => t.includes("origin POST /4 abc"));
  expect(bodies(text)).toEqual(["host GET /1 ", "origin GET /2 ", "host POST /3 hello world", "origin POST /4 abc"]);
  c.destroy();
});

test("Expect: 100-continue: the interim answer comes back, then the body goes to the matching side", async () => {
  const c = await dial(agentPort);
  c.write("POST /c HTTP/1.1\r\nHost: x\r\nx-dev-user: alice\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
  expect(await readUntil(c, (t) => t.includes("\r\n\r\n"))).toStartWith("HTTP/1.1 100 Continue");
  c.write("hello");
  expect(await readUntil(c, (t) => t.includes("host POST /c hello"))).toContain("host POST /c hello");
  c.destroy();
});

test("an upgrade stays with the side that matched; after a request to the other side on the same connection", async () => {
  const c = await dial(agentPort);
  c.write("GET /before HTTP/1.1\r\nHost: x\r\n\r\n");
  await readUntil(c, (t) => t.includes("origin GET /before"));
  c.write("GET /ws HTTP/1.1\r\nHost: x\r\nx-dev-user: alice\r\nConnection: Upgrade\r\nUpgrade: shout\r\n\r\n");
  expect(await readUntil(c, (t) => t.includes("\r\n\r\n"))).toStartWith("HTTP/1.1 101");
  // Bytes after the upgrade are no longer HTTP: not parsed, not rerouted.
  c.write("GET / HTTP/1.1\r\n\r\n");
  expect(await readUntil(c, (t) => t.includes("\r\n\r\n"))).toBe("host:GET / HTTP/1.1\r\n\r\n");
  c.destroy();
});
