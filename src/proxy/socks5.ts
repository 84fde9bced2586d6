/**
 * SOCKS5 proxy (RFC 1928, CONNECT only) with optional username/password auth (RFC 1929).
 *
 * Each connection runs a small state machine over whatever chunks arrive (byte by byte or the whole handshake
 * plus data in one segment). Names are passed to the dialer unresolved: the agent resolves them in the pod.
 * Buffering is bounded by construction: every handshake message is at most MAX_HANDSHAKE_MESSAGE bytes and is
 * consumed as soon as it is whole, and reading stops once the request is complete, so at most one message plus
 * one chunk is ever held.
 */
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { credentialsMatch, type ProxyAuth } from "./auth";
import { formatHostPort } from "../../wire/net";
import { DIAL_ERROR, type DialErrorCode, type Dialer, dialErrorCode } from "./dialer";
import { type ProxyServer, endWith, listen } from "./server";
import {
  COMMAND,
  METHOD,
  REPLY,
  SOCKS_VERSION,
  SocksParseError,
  USERPASS_STATUS,
  USERPASS_VERSION,
  encodeReply,
  parseGreeting,
  parseRequest,
  parseUserPass,
} from "./socks5-codec";
import { splice } from "./splice";

export interface Socks5Options {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
  dial: Dialer;
  /** When set, clients must authenticate with exactly these credentials. */
  auth?: ProxyAuth;
  log?: (msg: string) => void;
  /** A client that has not completed its request by then is dropped. Default 10 s. */
  handshakeTimeoutMs?: number;
}

const STATE = {
  greeting: "greeting",
  auth: "auth",
  request: "request",
  connecting: "connecting",
  spliced: "spliced",
  closed: "closed",
} as const;
type State = (typeof STATE)[keyof typeof STATE];

/**
 * Dial error → reply code. Timeouts answer "host unreachable" (0x04), not "TTL expired" (0x06): 0x06 reports an
 * IP packet whose hop limit ran out, which is not what happened, while 0x04 is what clients show as "could not
 * reach the host". Names that do not resolve also get 0x04, since RFC 1928 has no code of its own for them.
 */
const REPLY_FOR: Record<DialErrorCode, number> = {
  [DIAL_ERROR.refused]: REPLY.connectionRefused,
  [DIAL_ERROR.unreachable]: REPLY.hostUnreachable,
  [DIAL_ERROR.nameNotFound]: REPLY.hostUnreachable,
  [DIAL_ERROR.timeout]: REPLY.hostUnreachable,
  [DIAL_ERROR.denied]: REPLY.notAllowed,
  [DIAL_ERROR.failed]: REPLY.generalFailure,
};

export function startSocks5(options: Socks5Options): Promise<ProxyServer> {
  return listen({
    ...(options.host !== undefined && { host: options.host }),
    ...(options.port !== undefined && { port: options.port }),
    name: "SOCKS5 proxy",
    onConnection: (socket) => handleConnection(socket, options),
  });
}

function chooseMethod(offered: Uint8Array, auth: ProxyAuth | undefined): number {
  if (auth !== undefined) return offered.includes(METHOD.userPass) ? METHOD.userPass : METHOD.noAcceptable;
  if (offered.includes(METHOD.noAuth)) return METHOD.noAuth;
  // No credentials configured but the client only offers user/pass: accept it, and any credentials.
  return offered.includes(METHOD.userPass) ? METHOD.userPass : METHOD.noAcceptable;
}

function handleConnection(socket: Socket, options: Socks5Options): void {
  const peer = `${socket.remoteAddress}:${socket.remotePort}`;
  const log = (msg: string) => options.log?.(`socks5 ${peer}: ${msg}`);
  let state: State = STATE.greeting;
  let pending: Uint8Array = new Uint8Array(0);

  const timer = setTimeout(() => {
    log(`handshake not completed within ${options.handshakeTimeoutMs ?? 10_000} ms`);
    finish();
    socket.destroy();
  }, options.handshakeTimeoutMs ?? 10_000);
  const finish = () => {
    state = STATE.closed;
    clearTimeout(timer);
    socket.removeListener("data", onData);
  };
  const refuse = (reply: Uint8Array, why: string) => {
    log(why);
    finish();
    endWith(socket, reply);
  };
  const inHandshake = () => state === STATE.greeting || state === STATE.auth || state === STATE.request;
  socket.once("close", () => {
    if (inHandshake()) finish();
  });
  // Sockets are half-open capable, so a client that hangs up mid-handshake must be closed by us.
  socket.once("end", () => {
    if (!inHandshake()) return;
    log("client closed during the handshake");
    finish();
    socket.destroy();
  });

  /** Consumes every whole message at the front of `pending`; returns once more bytes are needed. */
  const advance = () => {
    for (;;) {
      switch (state) {
        case STATE.greeting: {
          const msg = parseGreeting(pending);
          if (msg === undefined) return;
          pending = pending.subarray(msg.size);
          const method = chooseMethod(msg.value.methods, options.auth);
          if (method === METHOD.noAcceptable) {
            return refuse(Uint8Array.of(SOCKS_VERSION, method), "no acceptable authentication method");
          }
          socket.write(Uint8Array.of(SOCKS_VERSION, method));
          state = method === METHOD.userPass ? STATE.auth : STATE.request;
          break;
        }
        case STATE.auth: {
          const msg = parseUserPass(pending);
          if (msg === undefined) return;
          pending = pending.subarray(msg.size);
          const { username, password } = msg.value;
          if (options.auth !== undefined && !credentialsMatch(options.auth, username, password)) {
            return refuse(Uint8Array.of(USERPASS_VERSION, USERPASS_STATUS.failure), "authentication failed");
          }
          socket.write(Uint8Array.of(USERPASS_VERSION, USERPASS_STATUS.success));
          state = STATE.request;
          break;
        }
        case STATE.request: {
          const msg = parseRequest(pending);
          if (msg === undefined) return;
          const rest = pending.subarray(msg.size);
          pending = new Uint8Array(0);
          const { command, host, port } = msg.value;
          if (command !== COMMAND.connect) {
            return refuse(encodeReply(REPLY.commandNotSupported), `command 0x${command.toString(16)} not supported`);
          }
          // Stop reading: what the client sends next belongs to the destination and waits in the socket
          // (and the kernel) until the dial completes, so a fast sender cannot grow our memory.
          state = STATE.connecting;
          clearTimeout(timer);
          socket.removeListener("data", onData);
          socket.pause();
          void connect({ host, port }, rest);
          return;
        }
        default:
          return;
      }
    }
  };

  const onData = (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    try {
      advance();
    } catch (e) {
      if (e instanceof SocksParseError && e.reply !== undefined) return refuse(encodeReply(e.reply), e.message);
      // Garbage, or a bug: either way it costs this connection only, never the proxy.
      log(e instanceof SocksParseError ? `bad handshake: ${e.message}` : `internal error: ${String(e)}`);
      finish();
      socket.destroy();
    }
  };

  const connect = async (dest: { host: string; port: number }, rest: Uint8Array) => {
    let upstream: Duplex;
    try {
      upstream = await options.dial(dest);
    } catch (e) {
      const code = dialErrorCode(e);
      refuse(
        encodeReply(REPLY_FOR[code]),
        e instanceof Error ? e.message : `cannot connect to ${formatHostPort(dest)}`,
      );
      return;
    }
    if (socket.destroyed) {
      upstream.destroy();
      return;
    }
    state = STATE.spliced;
    socket.write(encodeReply(REPLY.succeeded));
    // Bytes the client sent right behind its request (optimistic data) go first.
    if (rest.length > 0) upstream.write(rest);
    void splice(socket, upstream, { log, label: formatHostPort(dest) });
  };

  socket.on("data", onData);
}
