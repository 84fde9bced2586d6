/** Real servers and real client processes for the proxy tests. */
import { createHash } from "node:crypto";
import http from "node:http";
import net from "node:net";
import { join } from "node:path";
import { type Destination, type Dialer, directDialer } from "../../../src/proxy/dialer";

export const CLIENTS = join(import.meta.dir, "../../fixtures/clients");

/** Listens on 127.0.0.1, port 0; returns the port. */
export function listenLocal(server: net.Server, host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, host, () => resolve((server.address() as net.AddressInfo).port));
  });
}

export function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    (server as { closeAllConnections?: () => void }).closeAllConnections?.();
  });
}

/** Echoes every byte back and ends when the client ends; records the sha256 of what it received. */
export function echoServer(): { server: net.Server; received: string[] } {
  const received: string[] = [];
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    const hash = createHash("sha256");
    s.on("data", (d) => hash.update(d));
    s.on("end", () => received.push(hash.digest("hex")));
    s.on("error", () => {});
    s.pipe(s);
  });
  return { server, received };
}

/** Reads until the client half-closes, then answers with what it got: proves FIN crossed and replies flow. */
export function halfCloseServer(): net.Server {
  return net.createServer({ allowHalfOpen: true }, (s) => {
    let n = 0;
    s.on("data", (d) => (n += d.length));
    s.on("error", () => {});
    s.on("end", () => s.end(`got ${n} bytes after your FIN`));
  });
}

/** A plain HTTP server answering with the method, path and body it saw. */
export function httpServer(): http.Server {
  return http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString();
      res.setHeader("content-type", "text/plain");
      res.end(`${req.method} ${req.url} host=${req.headers.host} body=${body}`);
    });
  });
}

/**
 * A dialer standing in for the agent: names in `names` (which do not resolve on this host) go to the given
 * local port; everything asked for is recorded, unresolved.
 */
export function fakeClusterDialer(names: Record<string, number>): { dial: Dialer; seen: Destination[] } {
  const seen: Destination[] = [];
  const direct = directDialer({ timeoutMs: 5_000 });
  const dial: Dialer = (dest) => {
    seen.push({ ...dest });
    const port = names[dest.host];
    return direct(port === undefined ? dest : { host: "127.0.0.1", port });
  };
  return { dial, seen };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function run(cmd: string[], input?: string): Promise<RunResult> {
  const proc = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe", stdin: input === undefined ? "ignore" : "pipe" });
  if (input !== undefined && proc.stdin) {
    proc.stdin.write(input);
    await proc.stdin.end();
  }
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, stdout, stderr };
}

/** Runs the hand-written Node SOCKS5 client (test/fixtures/clients/socks-client.mjs) and returns its JSON result. */
export async function nodeSocks(config: Record<string, unknown>): Promise<Record<string, unknown>> {
  const r = await run(["node", join(CLIENTS, "socks-client.mjs"), JSON.stringify(config)]);
  if (r.code !== 0) throw new Error(`socks client failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

/** Opens a raw TCP connection, sends `data`, and resolves with everything received until the server closes. */
export function rawExchange(port: number, data: Uint8Array | string, options: { end?: boolean } = {}): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const s = net.connect({ host: "127.0.0.1", port, allowHalfOpen: true }, () => {
      s.write(data);
      if (options.end) s.end();
    });
    s.on("data", (d: Buffer) => chunks.push(d));
    s.on("end", () => s.end());
    s.on("error", () => {});
    s.on("close", () => resolve(Buffer.concat(chunks)));
  });
}
