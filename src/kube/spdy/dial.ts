/**
 * A socket to the API server for the SPDY upgrade, ready to write: TLS (or plain TCP) with the client's own
 * settings, through the client's proxy when there is one (proxy.ts: `proxy-url`, or HTTPS_PROXY) — a CONNECT
 * tunnel, then TLS inside it, as kubectl does. Other proxy schemes (https://, socks5://) are refused: the caller
 * falls back to WebSocket.
 */
import { connect as tcpConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import type { StreamConnection } from "../client";
import { type AnswerHead, AnswerHeadReader } from "./answer-head";
import { UpgradeRefused } from "./upgrade-refused";

export interface ApiServerAddress {
  host: string;
  port: number;
  secure: boolean;
}

/** Resolves once the socket is connected (TLS established when `secure`); rejects with an UpgradeRefused (a proxy's
 *  refusal, the deadline) or the socket's own error. */
export function dialApiServer(conn: StreamConnection, to: ApiServerAddress, timeoutMs: number): Promise<Socket> {
  return withTimeout(timeoutMs, async (track) => {
    const tunnel = conn.proxy === undefined ? undefined : await connectTunnel(conn.proxy, to, track);
    const tls = conn.tls;
    const socket: Socket = to.secure
      ? tlsConnect({
          ...(tunnel ? { socket: tunnel } : { host: to.host, port: to.port }),
          servername: tls.serverName ?? (/^[\d.:]+$/.test(to.host) ? undefined : to.host),
          rejectUnauthorized: tls.rejectUnauthorized,
          ALPNProtocols: ["http/1.1"],
          ...(tls.ca ? { ca: tls.ca } : {}),
          ...(tls.cert ? { cert: tls.cert } : {}),
          ...(tls.key ? { key: tls.key } : {}),
        })
      : (tunnel ?? tcpConnect({ host: to.host, port: to.port }));
    track(socket);
    if (tunnel && !to.secure) return socket;
    await new Promise<void>((resolve, reject) => {
      socket.once(to.secure ? "secureConnect" : "connect", () => {
        socket.off("error", reject);
        resolve();
      });
      socket.once("error", reject);
    });
    return socket;
  });
}

/** A CONNECT tunnel through an http:// proxy to `to`, with Basic credentials from the proxy URL if it has any. */
async function connectTunnel(proxy: string, to: ApiServerAddress, track: (s: Socket) => void): Promise<Socket> {
  let url: URL;
  try {
    url = new URL(proxy);
  } catch {
    throw new UpgradeRefused(undefined, `the proxy URL "${proxy}" cannot be parsed`);
  }
  if (url.protocol !== "http:") throw new UpgradeRefused(undefined, `a ${url.protocol}// proxy is not supported`);
  const socket = tcpConnect({ host: url.hostname.replace(/^\[(.*)\]$/, "$1"), port: Number(url.port) || 80 });
  track(socket);
  socket.setNoDelay(true);
  const target = `${to.host.includes(":") ? `[${to.host}]` : to.host}:${to.port}`;
  const credentials = url.username
    ? `Proxy-Authorization: Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString("base64")}\r\n`
    : "";
  socket.once("connect", () => socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n${credentials}\r\n`));
  return new Promise((resolve, reject) => {
    const answer = new AnswerHeadReader("the proxy's");
    const onData = (chunk: Buffer): void => {
      let got: AnswerHead | undefined;
      try {
        got = answer.push(chunk);
      } catch (e) {
        return reject(e);
      }
      if (!got) return;
      socket.off("data", onData);
      socket.off("error", reject);
      socket.off("close", onClose);
      if (got.status !== 200) return reject(new UpgradeRefused(got.status, `the proxy answered "${got.lines[0]}"`));
      // The server speaks only after our TLS hello (or request): nothing may follow the proxy's answer yet.
      if (got.after.byteLength > 0)
        return reject(new UpgradeRefused(undefined, "the proxy sent bytes before the server could"));
      resolve(socket);
    };
    const onClose = (): void => reject(new UpgradeRefused(undefined, "the proxy closed the connection"));
    socket.on("data", onData);
    socket.once("error", reject);
    socket.once("close", onClose);
  });
}

/** Runs `work`; past `ms`, destroys every socket it tracked and rejects. */
async function withTimeout<T>(ms: number, work: (track: (s: Socket) => void) => Promise<T>): Promise<T> {
  const sockets: Socket[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new UpgradeRefused(undefined, `no connection within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work((s) => sockets.push(s)), expired]);
  } catch (e) {
    for (const s of sockets) s.destroy();
    throw e;
  } finally {
    clearTimeout(timer);
  }
}
