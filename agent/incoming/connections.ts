/**
 * What happens to one connection the cluster sent to the interceptor, by mode:
 * - steal: the whole connection goes to the host (any TCP protocol);
 * - mirror: it goes to the original pods (the origin Service), and its request bytes are copied to the host,
 *   through a bounded buffer — a slow host loses copies (counted), never slows the real traffic;
 * - filter (steal with header/path): HTTP/1.1, routed per request — to the host, to the agent of another
 *   session whose filter matches, or to the original pods — with upgrades staying where they were sent.
 */
import { connect, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { InterceptPort, InterceptPortStats } from "../../wire/intercept";
import {
  BodyTracker,
  HttpParseError,
  isUpgrade,
  type MessageHead,
  requestFraming,
  responseFraming,
  splitHead,
  wantsClose,
} from "./http1";
import { join, PullReader, resetSocket, write } from "./pipe";

/** A copy waiting for a slow host beyond this is dropped, per connection. */
export const MIRROR_BUFFER = 1024 * 1024;

export type Route = { to: "host" } | { to: "peer"; ip: string } | { to: "origin" };

export interface PortContext {
  readonly port: InterceptPort;
  readonly stats: InterceptPortStats;
  /** A stream to the host app, or a rejection when the host has nothing listening. */
  openHost(): Promise<Duplex>;
  /** Where a request goes; `fromPeer`: it came from another session's agent (never forwarded again). */
  route(head: MessageHead, fromPeer: boolean): Route;
  isPeer(address: string): boolean;
  /** The host is gone: its connections go to the origin while the agent drains. */
  hostGone(): boolean;
  /** replace, host gone: a Ready pod of the restored workload, once there is one (undefined: none in time). */
  restoredPod(): Promise<string | undefined>;
  /** The agent is closing: a kept-alive connection ends at its next request boundary. */
  closing(): boolean;
  /** Filter connections between requests (the agent ends them when it closes). */
  readonly idle: Set<Socket>;
  log(message: string): void;
}

export async function stealConnection(socket: Socket, ctx: PortContext): Promise<void> {
  if (!ctx.hostGone()) {
    let host: Duplex | undefined;
    try {
      host = await ctx.openHost();
    } catch {
      // Refused by the host app; or the tunnel ended meanwhile, and the connection goes where the others now go.
      if (!ctx.hostGone()) {
        ctx.stats.refused++;
        return resetSocket(socket);
      }
    }
    if (host) {
      ctx.stats.toHost++;
      socket.resume();
      return join(socket, host);
    }
  }
  // The host is gone and kube-proxy still sends some here: the pods answer it — steal's through the origin
  // Service, replace's once the restored workload has a Ready pod (the connection waits for it, unread).
  let origin: Socket;
  try {
    origin = await dialOrigin(ctx, ctx.port.origin ? undefined : await ctx.restoredPod());
  } catch {
    return resetSocket(socket);
  }
  ctx.stats.toOrigin++;
  socket.resume();
  await join(socket, origin);
}

function dialOrigin(ctx: PortContext, ip?: string): Promise<Socket> {
  const origin = ctx.port.origin;
  const host = ip ?? origin?.host;
  const port = ip ? ctx.port.listen : origin?.port;
  if (!host || !port) return Promise.reject(new Error("no origin for this port"));
  return new Promise((resolve, reject) => {
    const s = connect({ host, port, allowHalfOpen: true });
    s.setNoDelay(true);
    s.once("connect", () => {
      s.off("error", reject);
      resolve(s);
    });
    s.once("error", reject);
  });
}

export async function mirrorConnection(socket: Socket, ctx: PortContext): Promise<void> {
  let origin: Socket;
  try {
    origin = await dialOrigin(ctx);
  } catch {
    return resetSocket(socket);
  }
  ctx.stats.toOrigin++;
  let copy: Duplex | undefined;
  let copyFailed = false;
  const pending: Buffer[] = [];
  ctx.openHost().then(
    (s) => {
      copy = s;
      s.on("data", () => {}); // the host's answers are discarded
      s.on("error", () => {});
      for (const chunk of pending.splice(0)) s.write(chunk);
      if (socket.readableEnded || socket.destroyed) s.end();
    },
    () => {
      copyFailed = true;
      ctx.stats.refused++;
      for (const chunk of pending.splice(0)) ctx.stats.droppedBytes += chunk.length;
    },
  );
  socket.on("data", (chunk: Buffer) => {
    if (copyFailed) return;
    const queued = copy ? copy.writableLength : pending.reduce((n, c) => n + c.length, 0);
    if (queued + chunk.length > MIRROR_BUFFER) {
      ctx.stats.droppedBytes += chunk.length;
      return;
    }
    ctx.stats.mirroredBytes += chunk.length;
    if (copy) copy.write(chunk);
    else pending.push(chunk);
  });
  // The copy ends with the connection, after what is queued for it (a reset would lose the last requests).
  socket.on("close", () => {
    if (copy && !copy.writableEnded) copy.end();
  });
  await join(socket, origin);
}

const BAD_GATEWAY =
  "HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/plain\r\ncontent-length: 47\r\nconnection: close\r\n\r\nkfwd: nothing listens on the host for this port";

interface Upstream {
  key: string;
  stream: Duplex;
  reader: PullReader;
}

/** One kept-alive client connection, request by request. */
export async function filterConnection(socket: Socket, ctx: PortContext): Promise<void> {
  const client = new PullReader(socket);
  const fromPeer = ctx.isPeer(socket.remoteAddress ?? "");
  let upstream: Upstream | undefined;
  const closeUpstream = (): void => {
    upstream?.stream.destroy();
    upstream = undefined;
  };
  try {
    let buf: Buffer = Buffer.alloc(0);
    for (;;) {
      let split = splitHead(buf, "request");
      if (!split && buf.length === 0 && ctx.closing()) {
        closeUpstream();
        socket.end();
        return;
      }
      while (!split) {
        if (buf.length === 0) ctx.idle.add(socket);
        const chunk = await client.read().finally(() => ctx.idle.delete(socket));
        if (!chunk) {
          closeUpstream();
          socket.end();
          return;
        }
        buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
        split = splitHead(buf, "request");
      }
      const { head, rest } = split;
      client.unshift(rest);
      buf = Buffer.alloc(0);
      ctx.stats.requests++;
      const route = ctx.route(head, fromPeer);
      const key = route.to === "peer" ? `peer:${route.ip}` : route.to;
      if (upstream?.key !== key || upstream.stream.destroyed || upstream.stream.readableEnded) {
        closeUpstream();
        try {
          const stream =
            route.to === "host"
              ? await ctx.openHost()
              : await dialOrigin(ctx, route.to === "peer" ? route.ip : undefined);
          upstream = { key, stream, reader: new PullReader(stream) };
          stream.on("error", () => {});
        } catch {
          if (route.to === "host") ctx.stats.refused++;
          socket.end(route.to === "host" ? BAD_GATEWAY : BAD_GATEWAY.replace("on the host", "at the origin"));
          return;
        }
      }
      if (route.to === "host") ctx.stats.toHost++;
      else if (route.to === "peer") ctx.stats.toPeers++;
      else ctx.stats.toOrigin++;
      const up = upstream;
      await write(up.stream, head.raw);
      const upgrade = isUpgrade(head);
      const body = upgrade ? undefined : sendBody(client, up.stream, new BodyTracker(requestFraming(head)));
      const answer = await relayResponse(up.reader, socket, head.method);
      if (answer.upgraded) {
        // From here on raw bytes both ways, between this client and the side that matched.
        client.drainInto(up.stream);
        up.reader.drainInto(socket);
        upstream = undefined;
        await join(socket, up.stream);
        return;
      }
      if (body) await body;
      if (answer.closed || wantsClose(head)) {
        closeUpstream();
        socket.end();
        return;
      }
    }
  } catch (e) {
    if (e instanceof HttpParseError) ctx.log(`port ${ctx.port.listen}: ${e.message}; connection closed`);
    closeUpstream();
    resetSocket(socket);
  }
}

async function sendBody(from: PullReader, to: Duplex, tracker: BodyTracker): Promise<void> {
  while (!tracker.done) {
    const chunk = await from.read();
    if (!chunk) return void to.end();
    const n = tracker.take(chunk);
    await write(to, chunk.subarray(0, n));
    from.unshift(chunk.subarray(n));
  }
}

/** Copies interim (1xx) and final response to the client; says whether it upgraded or ends the connection. */
async function relayResponse(
  from: PullReader,
  to: Socket,
  method: string,
): Promise<{ upgraded: boolean; closed: boolean }> {
  let buf: Buffer = Buffer.alloc(0);
  for (;;) {
    let split = splitHead(buf, "response");
    while (!split) {
      const chunk = await from.read();
      if (!chunk) {
        if (buf.length === 0) resetSocket(to);
        return { upgraded: false, closed: true };
      }
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      split = splitHead(buf, "response");
    }
    const { head, rest } = split;
    from.unshift(rest);
    buf = Buffer.alloc(0);
    await write(to, head.raw);
    if (head.status === 101) return { upgraded: true, closed: false };
    if (head.status >= 100 && head.status < 200) continue;
    const framing = responseFraming(head, method);
    const tracker = new BodyTracker(framing);
    while (!tracker.done) {
      const chunk = await from.read();
      if (!chunk) return { upgraded: false, closed: true };
      const n = tracker.take(chunk);
      await write(to, chunk.subarray(0, n));
      from.unshift(chunk.subarray(n));
    }
    return { upgraded: false, closed: framing.kind === "close" || wantsClose(head) };
  }
}
