import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DIAL_ERROR, type Dialer, dialError } from "../../src/proxy/dialer";
import { startHttpProxy } from "../../src/proxy/http";
import type { ProxyServer } from "../../src/proxy/server";
import { selfSignedCert } from "../helpers/self-signed";
import {
  closeServer,
  echoServer,
  fakeClusterDialer,
  httpServer,
  listenLocal,
  rawExchange,
  run,
} from "./helpers/servers";

/** Answers by path: /status/N, /chunked, /big/N (N MiB), otherwise echoes method, path, Host and body. */
function appServer(): http.Server {
  const echo = httpServer();
  return http.createServer((req, res) => {
    const status = /^\/status\/(\d+)/.exec(req.url ?? "");
    if (status !== null) {
      res.writeHead(Number(status[1]), { "x-status": status[1] });
      return res.end();
    }
    if (req.url === "/headers") return res.end(JSON.stringify(req.headers));
    if (req.url === "/chunked") {
      res.write("part1-");
      setTimeout(() => res.end("part2"), 20);
      return;
    }
    const big = /^\/big\/(\d+)/.exec(req.url ?? "");
    if (big !== null) {
      const block = Buffer.alloc(1 << 20, 97);
      res.setHeader("content-length", Number(big[1]) << 20);
      let left = Number(big[1]);
      const more = () => {
        while (left > 0) {
          left--;
          if (!res.write(block)) return res.once("drain", more);
        }
        res.end();
      };
      return more();
    }
    echo.emit("request", req, res);
  });
}

/** A response with neither Content-Length nor chunked: its end is the connection closing. */
function closeDelimitedServer(): net.Server {
  return net.createServer((s) => {
    s.on("error", () => {});
    s.once("data", () => s.end("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nbody until close"));
  });
}

/** Switches to an echo protocol after a 101, like a WebSocket server after its handshake. */
function upgradeServer(): net.Server {
  return net.createServer((s) => {
    s.on("error", () => {});
    let head = "";
    const onData = (d: Buffer) => {
      head += d.toString("latin1");
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      s.removeListener("data", onData);
      s.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n");
      const rest = head.slice(end + 4);
      if (rest !== "") s.write(rest);
      s.pipe(s);
    };
    s.on("data", onData);
  });
}

/** Answers each request with "ok", then drops the idle keep-alive connection soon after, as servers do. */
function impatientServer(): net.Server {
  return net.createServer((s) => {
    s.on("error", () => {});
    s.on("data", () => {
      s.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
      setTimeout(() => s.destroy(), 30);
    });
  });
}

/** A client that writes `parts` one at a time, waiting `gapMs` between them, and returns all it received. */
function slowClient(port: number, parts: string[], gapMs: number): Promise<string> {
  return new Promise((resolve) => {
    let got = "";
    const s = net.connect({ host: "127.0.0.1", port }, async () => {
      for (const part of parts) {
        s.write(part);
        await Bun.sleep(gapMs);
      }
    });
    s.on("data", (d: Buffer) => (got += d.toString()));
    s.on("error", () => {});
    s.on("close", () => resolve(got));
  });
}

/** Drops the connection on its second request unanswered: the race of a keep-alive timeout, made certain. */
function racyServer(): net.Server {
  return net.createServer((s) => {
    s.on("error", () => {});
    let n = 0;
    s.on("data", () => {
      if (++n === 2) return s.destroy();
      s.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    });
  });
}

let tmp: string;
const servers: net.Server[] = [];
let proxy: ProxyServer;
let cluster: ReturnType<typeof fakeClusterDialer>;
let closedPort: number;

async function serve(server: net.Server): Promise<number> {
  servers.push(server);
  return listenLocal(server);
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "kfwd-proxy-"));
  selfSignedCert(tmp, "tls.cluster.test");
  const tls = https.createServer(
    { key: readFileSync(join(tmp, "key.pem")), cert: readFileSync(join(tmp, "cert.pem")) },
    (req, res) => res.end(`tls ${req.method} ${req.url}`),
  );
  const gone = net.createServer();
  closedPort = await listenLocal(gone);
  await closeServer(gone);
  cluster = fakeClusterDialer({
    "svc.cluster.test": await serve(appServer()),
    "other.cluster.test": await serve(httpServer()),
    "raw.cluster.test": await serve(closeDelimitedServer()),
    "ws.cluster.test": await serve(upgradeServer()),
    "echo.cluster.test": await serve(echoServer().server),
    "tls.cluster.test": await serve(tls),
    "impatient.cluster.test": await serve(impatientServer()),
    "racy.cluster.test": await serve(racyServer()),
  });
  proxy = await startHttpProxy({ host: "127.0.0.1", port: 0, dial: cluster.dial });
});

afterAll(async () => {
  await proxy.close();
  await Promise.all(servers.map(closeServer));
  rmSync(tmp, { recursive: true, force: true });
});

const curl = (...args: string[]) => run(["curl", "-sS", "-x", `http://127.0.0.1:${proxy.port}`, ...args]);

describe("HTTP proxy with real clients", () => {
  test("curl: absolute URI, two URLs reuse the connection, names reach the dialer unresolved", async () => {
    const r = await curl("-v", "http://svc.cluster.test/one", "http://svc.cluster.test/two?x=1");
    expect(r.stdout).toBe("GET /one host=svc.cluster.test body=GET /two?x=1 host=svc.cluster.test body=");
    expect(r.stderr).toContain("Re-using existing connection");
    expect(cluster.seen).toContainEqual({ host: "svc.cluster.test", port: 80 });
  });

  test("curl: different hosts on one client connection", async () => {
    const r = await curl(
      "-v",
      "http://svc.cluster.test:8080/a",
      "http://other.cluster.test/b",
      "http://svc.cluster.test:8080/c",
    );
    expect(r.stdout).toBe(
      "GET /a host=svc.cluster.test:8080 body=GET /b host=other.cluster.test body=GET /c host=svc.cluster.test:8080 body=",
    );
    expect(r.stderr.match(/Re-using existing connection/g)?.length).toBe(2);
  });

  test("curl: request bodies with Content-Length and chunked, Expect: 100-continue", async () => {
    const sized = await curl("--data-binary", "sized body", "http://svc.cluster.test/post");
    expect(sized.stdout).toBe("POST /post host=svc.cluster.test body=sized body");
    const chunked = await curl(
      "-H",
      "Transfer-Encoding: chunked",
      "--data-binary",
      "chunked body",
      "http://svc.cluster.test/c",
    );
    expect(chunked.stdout).toBe("POST /c host=svc.cluster.test body=chunked body");
    const expect100 = await curl(
      "-H",
      "Expect: 100-continue",
      "--data-binary",
      "after continue",
      "http://svc.cluster.test/e",
    );
    expect(expect100.stdout).toBe("POST /e host=svc.cluster.test body=after continue");
  });

  test("curl: chunked and close-delimited responses, HEAD, 204 and 304 keep the connection usable", async () => {
    const r = await curl(
      "-v",
      "http://svc.cluster.test/chunked",
      "http://svc.cluster.test/status/204",
      "http://svc.cluster.test/status/304",
      "http://svc.cluster.test/after",
    );
    expect(r.stdout).toBe("part1-part2GET /after host=svc.cluster.test body=");
    expect(r.stderr.match(/Re-using existing connection/g)?.length).toBe(3);
    const head = await curl("-I", "http://svc.cluster.test/head");
    expect(head.stdout).toMatch(/^HTTP\/1.1 200 OK\r\n/);
    const raw = await curl("-v", "http://raw.cluster.test/", "http://svc.cluster.test/next");
    expect(raw.stdout).toBe("body until closeGET /next host=svc.cluster.test body=");
    expect(raw.stderr).toMatch(/< Connection: close/i);
  });

  test("curl: HTTPS through CONNECT with a self-signed certificate", async () => {
    const r = await curl("--cacert", join(tmp, "cert.pem"), "https://tls.cluster.test/secure");
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("tls GET /secure");
    const tunnel = await curl("--proxytunnel", "--cacert", join(tmp, "cert.pem"), "https://tls.cluster.test/again");
    expect(tunnel.stdout).toBe("tls GET /again");
  });

  test("curl: IPv6 literal target ([::1]) reaches the dialer without brackets", async () => {
    const v6 = httpServer();
    servers.push(v6);
    const port = await listenLocal(v6, "::1");
    const r = await curl(`http://[::1]:${port}/v6`);
    expect(r.stdout).toBe(`GET /v6 host=[::1]:${port} body=`);
    expect(cluster.seen).toContainEqual({ host: "::1", port });
  });

  test("python3 urllib: GET and POST", async () => {
    const script = `
import urllib.request, sys
opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": sys.argv[1]}))
print(opener.open("http://svc.cluster.test/py").read().decode())
print(opener.open("http://svc.cluster.test/py-post", data=b"from python").read().decode())
`;
    const r = await run(["python3", "-c", script, `http://127.0.0.1:${proxy.port}`]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(
      "GET /py host=svc.cluster.test body=\nPOST /py-post host=svc.cluster.test body=from python\n",
    );
  });

  test("64 MiB response streams through", async () => {
    const r = await run([
      "sh",
      "-c",
      `curl -sS -x http://127.0.0.1:${proxy.port} http://svc.cluster.test/big/64 | sha256sum`,
    ]);
    const expected = new Bun.CryptoHasher("sha256").update(Buffer.alloc(64 << 20, 97)).digest("hex");
    expect(r.stdout.split(" ")[0]).toBe(expected);
  }, 60_000);
});

describe("HTTP proxy protocol details", () => {
  test("CONNECT: bytes pipelined after the head are forwarded", async () => {
    const reply = await rawExchange(proxy.port, "CONNECT echo.cluster.test:7 HTTP/1.1\r\nHost: x\r\n\r\nearly bytes", {
      end: true,
    });
    expect(reply.toString()).toBe("HTTP/1.1 200 Connection Established\r\n\r\nearly bytes");
  });

  test("Upgrade over an absolute URI: 101, then bytes pass through both ways", async () => {
    const req =
      "GET http://ws.cluster.test/chat HTTP/1.1\r\nHost: ws\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\nframe-1";
    const reply = (await rawExchange(proxy.port, req, { end: true })).toString();
    expect(reply).toMatch(/^HTTP\/1.1 101 Switching Protocols\r\n/);
    expect(reply).toContain("Upgrade: echo\r\nConnection: Upgrade\r\n\r\nframe-1");
  });

  test("pipelined requests are answered in order; hop-by-hop headers are dropped", async () => {
    const reqs =
      "GET http://svc.cluster.test/headers HTTP/1.1\r\nHost: a\r\nProxy-Connection: keep-alive\r\nConnection: x-hop\r\nX-Hop: 1\r\n\r\n" +
      "HEAD http://svc.cluster.test/2 HTTP/1.1\r\nHost: a\r\n\r\n" +
      "GET http://other.cluster.test/3 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
    const reply = (await rawExchange(proxy.port, reqs)).toString();
    const bodies = reply.split("\r\n\r\n");
    const seen = JSON.parse(bodies[1]!.slice(0, bodies[1]!.indexOf("HTTP/1.1"))) as Record<string, string>;
    expect(seen).toEqual({ host: "svc.cluster.test" });
    expect(bodies[1]).toContain("}HTTP/1.1 200 OK\r\n");
    expect(bodies[2]).toStartWith("HTTP/1.1 200 OK");
    expect(bodies[3]).toBe("GET /3 host=other.cluster.test body=");
  });

  test("a reused upstream the server has dropped meanwhile is replaced transparently", async () => {
    const get = (close: boolean) =>
      `GET http://impatient.cluster.test/ HTTP/1.1\r\nHost: x\r\n${close ? "Connection: close\r\n" : ""}\r\n`;
    const reply = await slowClient(proxy.port, [get(false), get(true)], 200);
    expect(reply.match(/HTTP\/1.1 200 OK\r\n/g)?.length).toBe(2);
    expect(reply).toEndWith("ok");
    // Closed without an answer only once the request is on its way: replayed once, on a fresh connection.
    const racy = (close: boolean) =>
      `GET http://racy.cluster.test/ HTTP/1.1\r\nHost: x\r\n${close ? "Connection: close\r\n" : ""}\r\n`;
    const raced = await slowClient(proxy.port, [racy(false), racy(true)], 50);
    expect(raced.match(/HTTP\/1.1 200 OK\r\n/g)?.length).toBe(2);
  });

  test("a request written one byte at a time", async () => {
    const reply = await slowClient(
      proxy.port,
      [..."GET http://svc.cluster.test/slow HTTP/1.1\r\nConnection: close\r\n\r\n"],
      1,
    );
    expect(reply).toEndWith("\r\n\r\nGET /slow host=svc.cluster.test body=");
  });

  test("refused dial → 502 naming the reason; timeout → 504", async () => {
    const r = await curl("-i", `http://127.0.0.1:${closedPort}/`);
    expect(r.stdout).toMatch(/^HTTP\/1.1 502 Bad Gateway\r\n/);
    expect(r.stdout).toContain("connection refused");
    const slow: Dialer = (dest) => Promise.reject(dialError(DIAL_ERROR.timeout, dest));
    const p = await startHttpProxy({ dial: slow });
    const t = await run(["curl", "-sS", "-i", "-x", `http://127.0.0.1:${p.port}`, "http://svc.cluster.test/"]);
    expect(t.stdout).toMatch(/^HTTP\/1.1 504 Gateway Timeout\r\n/);
    const tls = await run(["curl", "-sS", "-x", `http://127.0.0.1:${p.port}`, "https://svc.cluster.test/"]);
    expect(tls.stderr).toContain("504");
    await p.close();
  });

  test("garbage and truncated requests close that connection only", async () => {
    expect((await rawExchange(proxy.port, "\x16\x03\x01garbage\r\n")).toString()).toMatch(
      /^HTTP\/1.1 400 Bad Request\r\n/,
    );
    expect((await rawExchange(proxy.port, "GET /origin-form HTTP/1.1\r\n\r\n")).toString()).toMatch(/^HTTP\/1.1 400 /);
    expect((await rawExchange(proxy.port, "GET http://svc.cluster.test/ HTT", { end: true })).toString()).toMatch(
      /^HTTP\/1.1 400 /,
    );
    const bad = "POST http://svc.cluster.test/ HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n";
    expect((await rawExchange(proxy.port, bad)).toString()).toMatch(/^HTTP\/1.1 400 /);
    expect((await curl("http://svc.cluster.test/alive")).stdout).toBe("GET /alive host=svc.cluster.test body=");
    await Bun.sleep(50);
    expect(proxy.connections).toBe(0);
  });
});

describe("HTTP proxy errors name the client's mistake", () => {
  const status = async (request: string) => (await rawExchange(proxy.port, request)).toString().split("\r\n")[0];

  test("a malformed chunked request body is 400, not a 502 blaming the server", async () => {
    const head = "POST http://svc.cluster.test/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
    const reply = (await rawExchange(proxy.port, `${head}zz\r\nhello\r\n0\r\n\r\n`)).toString();
    expect(reply).toMatch(/^HTTP\/1.1 400 Bad Request\r\n/);
    expect(reply).toContain("bad request body: bad chunk size");
  });

  test("a request line over 8 KiB is 414 however it arrives; a host name over 253 characters is 400", async () => {
    const long = "a".repeat(9000);
    expect(await status(`CONNECT ${long}:443 HTTP/1.1\r\n\r\n`)).toBe("HTTP/1.1 414 URI Too Long");
    expect(await status(`GET http://svc.cluster.test/${long} HTTP/1.1\r\nHost: x\r\n\r\n`)).toBe(
      "HTTP/1.1 414 URI Too Long",
    );
    const host = "a".repeat(300);
    const reply = (await rawExchange(proxy.port, `CONNECT ${host}:443 HTTP/1.1\r\n\r\n`)).toString();
    expect(reply).toMatch(/^HTTP\/1.1 400 Bad Request\r\n/);
    expect(reply).toContain("host name too long (300 characters; at most 253)");
    expect(await status(`GET http://${host}/ HTTP/1.1\r\n\r\n`)).toBe("HTTP/1.1 400 Bad Request");
    expect(cluster.seen.some((d) => d.host.length > 253)).toBe(false);
  });
});

describe("HTTP proxy lifecycle", () => {
  test("a client that sends no head is dropped after the timeout; close() ends tunnels", async () => {
    const p = await startHttpProxy({ dial: cluster.dial, headTimeoutMs: 200 });
    const started = Date.now();
    expect((await rawExchange(p.port, "GET http://svc")).length).toBe(0);
    expect(Date.now() - started).toBeLessThan(2_000);
    const tunnel = rawExchange(p.port, "CONNECT echo.cluster.test:7 HTTP/1.1\r\n\r\n");
    await Bun.sleep(100);
    expect(p.connections).toBe(1);
    await p.close();
    expect((await tunnel).toString()).toBe("HTTP/1.1 200 Connection Established\r\n\r\n");
  });
});

describe("HTTP proxy authentication", () => {
  let authed: ProxyServer;
  beforeAll(async () => {
    authed = await startHttpProxy({ dial: cluster.dial, auth: { username: "dev", password: "s3cret" } });
  });
  afterAll(() => authed.close());

  test("right credentials pass, wrong or missing ones get 407 with Proxy-Authenticate", async () => {
    const ok = await run([
      "curl",
      "-sS",
      "-x",
      `http://127.0.0.1:${authed.port}`,
      "-U",
      "dev:s3cret",
      "http://svc.cluster.test/x",
    ]);
    expect(ok.stdout).toBe("GET /x host=svc.cluster.test body=");
    for (const creds of [["-U", "dev:wrong"], []]) {
      const r = await run([
        "curl",
        "-sS",
        "-i",
        "-x",
        `http://127.0.0.1:${authed.port}`,
        ...creds,
        "http://svc.cluster.test/x",
      ]);
      expect(r.stdout).toMatch(/^HTTP\/1.1 407 Proxy Authentication Required\r\n/);
      expect(r.stdout).toContain('Proxy-Authenticate: Basic realm="kfwd"');
    }
    const py = `
import urllib.request, sys
h = urllib.request.ProxyHandler({"http": sys.argv[1]})
print(urllib.request.build_opener(h).open("http://svc.cluster.test/py-auth").read().decode())
`;
    const r = await run(["python3", "-c", py, `http://dev:s3cret@127.0.0.1:${authed.port}`]);
    expect(r.stdout).toBe("GET /py-auth host=svc.cluster.test body=\n");
  });
});
