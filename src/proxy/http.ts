/**
 * HTTP proxy: CONNECT tunnels, and absolute-URI forwarding ("GET http://host:port/path HTTP/1.1").
 *
 * Forwarding keeps the client connection alive across requests, to any mix of hosts. Each client connection has
 * at most one upstream connection, reused while requests go to the same host:port and torn down when the next
 * request goes elsewhere. Requests are handled one at a time (pipelined ones wait in the socket), so responses
 * can never be sent to the client out of order. Bodies are forwarded as they arrive, with backpressure.
 */
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { ProxyAuth } from "./auth";
import { formatHostPort } from "../../wire/net";
import { DIAL_ERROR, type Destination, type Dialer, type DialOptions, dialErrorCode, dialOutcome } from "./dialer";
import {
  AUTH_REQUIRED,
  type AbsoluteTarget,
  authorized,
  clientKeepsAlive,
  clientResponse,
  parseAbsoluteTarget,
  parseAuthority,
  proxyResponse,
  upstreamKeepsAlive,
  upstreamRequest,
  wantsUpgrade,
} from "./http-message";
import {
  BodyFramer,
  HttpParseError,
  type RequestHead,
  type ResponseHead,
  parseRequestHead,
  parseResponseHead,
  requestFraming,
  responseFraming,
} from "./http-parser";
import { type ProxyServer, endWith, listen } from "./server";
import { watchClient } from "./client-gone";
import { abort, splice } from "./splice";
import { StreamReader, pumpBody, readHead } from "./stream-reader";

export interface HttpProxyOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
  dial: Dialer;
  /** When set, requests need `Proxy-Authorization: Basic` with exactly these credentials. */
  auth?: ProxyAuth;
  log?: (msg: string) => void;
  /** A client has this long to send each request head (also the keep-alive idle limit). Default 60 s. */
  headTimeoutMs?: number;
}

export function startHttpProxy(options: HttpProxyOptions): Promise<ProxyServer> {
  return listen({
    ...(options.host !== undefined && { host: options.host }),
    ...(options.port !== undefined && { port: options.port }),
    name: "HTTP proxy",
    onConnection: (socket) => void new ClientConnection(socket, options).serve(),
  });
}

interface Upstream {
  key: string;
  socket: Duplex;
  reader: StreamReader;
}

/** 502 naming the reason, 504 when the dial timed out. */
function dialFailure(e: unknown, dest: Destination): string {
  const text = e instanceof Error ? e.message : `Cannot connect to "${formatHostPort(dest)}"`;
  return proxyResponse(dialErrorCode(e) === DIAL_ERROR.timeout ? 504 : 502, text);
}

class ClientConnection {
  readonly #input: StreamReader;
  readonly #log: (msg: string) => void;
  #upstream: Upstream | undefined;
  readonly #gone = new AbortController();
  /** An exchange is under way: the request went upstream and its response is not through yet. */
  #exchanging = false;
  /** What the upstream had delivered at the last check for a departed client (see #stuck). */
  #lastTaken = -1;

  constructor(
    readonly client: Socket,
    readonly options: HttpProxyOptions,
  ) {
    const peer = `${client.remoteAddress}:${client.remotePort}`;
    this.#log = (msg) => options.log?.(`http ${peer}: ${msg}`);
    this.#input = new StreamReader(client);
    client.once("close", () => this.#release());
    // Also when 'close' never comes (it sometimes does not in Bun), and when the client leaves while we are not
    // reading it, which hides its FIN: see #stuck.
    watchClient(
      client,
      () => this.#stuck(),
      () => {
        if (!client.destroyed) this.#log("the client left while its exchange was stuck");
        abort(client);
        this.#release();
      },
    );
  }

  /**
   * Whether the client could have left unnoticed: its request body is stuck behind an upstream that does not
   * read, or it sent FIN, or an exchange waits on an upstream that has delivered nothing since the last check
   * (no answer yet, or a body gone silent). The client is not read meanwhile, so its FIN would go unseen.
   */
  #stuck(): boolean {
    const up = this.#upstream;
    if (up === undefined) return false;
    const taken = up.reader.taken;
    const silent = this.#exchanging && taken === this.#lastTaken;
    this.#lastTaken = taken;
    return up.socket.writableLength > 0 || this.client.readableEnded || silent;
  }

  #dropUpstream(): void {
    this.#upstream?.socket.destroy();
    this.#upstream = undefined;
  }

  /** The client is gone: stop every wait on it and let the upstream go. */
  #release(): void {
    this.#gone.abort();
    this.#input.interrupt();
    this.#dropUpstream();
  }

  async serve(): Promise<void> {
    const client = this.client;
    try {
      for (;;) {
        const timer = setTimeout(() => {
          client.destroy();
          this.#release();
        }, this.options.headTimeoutMs ?? 60_000);
        const got = await readHead(this.#input, parseRequestHead).finally(() => clearTimeout(timer));
        if (got.head === undefined) {
          if (got.partial) endWith(client, proxyResponse(400, "truncated request"));
          else client.end();
          return;
        }
        const head = got.head;
        if (this.options.auth !== undefined && !authorized(head, this.options.auth)) {
          this.#log("proxy authentication failed");
          return endWith(client, AUTH_REQUIRED);
        }
        if (head.method === "CONNECT") return await this.#tunnel(head);
        if (!(await this.#forward(head))) return;
      }
    } catch (e) {
      if (e instanceof HttpParseError) {
        this.#log(`bad request: ${e.message}`);
        endWith(client, proxyResponse(e.status, e.message));
        return;
      }
      // A bug must cost one connection, never the proxy.
      this.#log(`internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      client.destroy();
    } finally {
      // Whatever ended the exchanges, a kept upstream is no longer needed (tunnels and upgrades were handed
      // to splice and are not kept): release it here rather than on the client's 'close' alone.
      this.#dropUpstream();
    }
  }

  async #dial(dest: Destination, options?: DialOptions): Promise<Duplex | undefined> {
    try {
      const socket = await this.options.dial(dest, options);
      if (!this.client.destroyed) return socket;
      socket.destroy();
    } catch (e) {
      this.#log(e instanceof Error ? e.message : String(e));
      endWith(this.client, dialFailure(e, dest));
    }
    return undefined;
  }

  async #tunnel(head: RequestHead): Promise<void> {
    const dest = parseAuthority(head.target);
    this.#dropUpstream();
    const upstream = await this.#dial(dest);
    if (upstream === undefined) return;
    // Bytes the client sent right behind the CONNECT head (e.g. a TLS ClientHello) go first.
    const rest = this.#input.detach();
    this.client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
    if (rest !== null) upstream.write(rest);
    void splice(this.client, upstream, { log: this.#log, label: formatHostPort(dest) });
  }

  /** Early: the request goes with the connect; a refusal shows when no response comes (see #forward). */
  async #connectUpstream(target: AbsoluteTarget): Promise<Upstream | undefined> {
    const socket = await this.#dial({ host: target.host, port: target.port }, { early: true });
    if (socket === undefined) return undefined;
    socket.on("error", () => {}); // seen as a close by its reader; peers hanging up is normal
    this.#upstream = { key: formatHostPort(target), socket, reader: new StreamReader(socket) };
    return this.#upstream;
  }

  /** One request/response exchange. Returns whether the client connection stays open for another. */
  async #forward(head: RequestHead): Promise<boolean> {
    this.#exchanging = true;
    try {
      return await this.#exchange(head);
    } finally {
      this.#exchanging = false;
    }
  }

  async #exchange(head: RequestHead): Promise<boolean> {
    const client = this.client;
    const target = parseAbsoluteTarget(head.target);
    const requestFramer = new BodyFramer(requestFraming(head), 400);
    const upgrade = wantsUpgrade(head);
    const requestText = upstreamRequest(head, target, upgrade);

    let up = this.#upstream;
    const reusing = up !== undefined && up.key === formatHostPort(target) && !up.socket.destroyed && !up.reader.ended;
    if (!reusing) {
      this.#dropUpstream();
      up = await this.#connectUpstream(target);
    }
    if (up === undefined) return false;
    up.socket.write(requestText);
    // A malformed request body is the client's error (400), not the upstream's: remember it for the answer.
    let badRequest: HttpParseError | undefined;
    const requestDone = pumpBody(this.#input, up.socket, requestFramer).catch((e: unknown) => {
      if (e instanceof HttpParseError) badRequest = e;
      return false;
    });
    // A body that stopped short while the upstream was still there was cut by the client (FIN mid-body).
    let bodyCut = false;
    const sent = up;
    void requestDone.then((ok) => {
      if (ok) return;
      bodyCut = !sent.socket.destroyed;
      this.#dropUpstream();
    });

    let response: ResponseHead;
    for (let retried = !reusing; ; ) {
      const got = await readHead(up.reader, parseResponseHead).catch((e: unknown) => {
        if (!(e instanceof HttpParseError)) throw e;
        return { head: undefined, partial: true, error: e.message };
      });
      if (got.head === undefined && badRequest !== undefined) {
        this.#log(`bad request body: ${badRequest.message}`);
        endWith(client, proxyResponse(badRequest.status, `bad request body: ${badRequest.message}`));
        return false;
      }
      if (got.head === undefined && (client.destroyed || bodyCut)) {
        // We let the upstream go ourselves: no answer will come, nor (for a stream given up before the agent
        // accepted it) a dial outcome to wait for.
        if (client.destroyed) return false;
        this.#log("the client ended its request body early");
        endWith(client, proxyResponse(400, "request body cut short"));
        return false;
      }
      if (got.head === undefined) {
        // A reused connection the server had already closed: replay a request without a body once, on a
        // fresh connection. Anything else is a failure of the upstream.
        if (!retried && !got.partial && requestFramer.framing.type === "none" && !client.destroyed) {
          retried = true;
          this.#dropUpstream();
          up = await this.#connectUpstream(target);
          if (up === undefined) return false;
          up.socket.write(requestText);
          continue;
        }
        const refused = await dialOutcome(up.socket);
        if (refused !== undefined) {
          this.#log(refused instanceof Error ? refused.message : String(refused));
          endWith(client, dialFailure(refused, target));
          return false;
        }
        const why = "error" in got ? got.error : "closed the connection without a response";
        this.#log(`${target.authority}: ${why}`);
        endWith(client, proxyResponse(502, `"${target.authority}" ${why}`));
        return false;
      }
      response = got.head;
      if (response.status >= 200 || response.status === 101) break;
      client.write(clientResponse(response, { keepAlive: true, upgrade: false })); // 100 Continue, 103…
    }

    if (response.status === 101) {
      if (!upgrade) {
        endWith(client, proxyResponse(502, `"${target.authority}" switched protocols unasked`));
        return false;
      }
      // From here on the bytes are not HTTP: hand both sockets, and whatever each had read ahead, to splice.
      client.write(clientResponse(response, { keepAlive: true, upgrade: true }));
      const fromUpstream = up.reader.detach();
      const fromClient = this.#input.detach();
      if (fromUpstream !== null) client.write(fromUpstream);
      if (fromClient !== null) up.socket.write(fromClient);
      this.#upstream = undefined;
      void splice(client, up.socket, { log: this.#log, label: target.authority });
      return false;
    }

    const responseFramer = new BodyFramer(responseFraming(response, head.method));
    // A close-delimited body can only be ended by closing the client too; so can an unfinished request body.
    const keepAlive = clientKeepsAlive(head) && responseFramer.framing.type !== "close" && requestFramer.done;
    client.write(clientResponse(response, { keepAlive, upgrade: false }));
    const complete = await pumpBody(up.reader, client, responseFramer, this.#gone.signal).catch(() => false);
    if (!complete || client.destroyed) {
      // Cut short: a reset is the only way left to tell the client, and one it cannot mistake for the end.
      abort(client);
      this.#dropUpstream();
      return false;
    }
    if (!requestFramer.done || !upstreamKeepsAlive(response) || responseFramer.framing.type === "close") {
      this.#dropUpstream();
    }
    if (!keepAlive) {
      client.end();
      return false;
    }
    return requestDone;
  }
}
