/**
 * How the proxies reach a destination. The proxies never open sockets themselves: they take a `Dialer`, so the
 * same SOCKS5/HTTP code serves the tunnel to the agent (dial from the pod), the host (dial directly), and tests.
 */
import net from "node:net";
import type { Duplex } from "node:stream";
import { DIAL_ERROR, type DialErrorCode, dialErrorFromErrno, formatHostPort } from "../../wire/net";
import { KfwdError } from "../errors";

export interface Destination {
  /** An IPv4/IPv6 literal (no brackets) or a DNS name, unresolved: whoever dials resolves it where it dials. */
  host: string;
  port: number;
}

export interface DialOptions {
  /**
   * Hand the stream out before the destination answered, where the dialer can (the tunnel to an agent at
   * protocol version 3): what is written goes with the connect, a round trip earlier. A refused connect then
   * arrives as the stream's error, and as the rejection of its `connected` (see dialOutcome).
   */
  early?: boolean;
}

/** Opens a connected byte stream to `dest`. Rejects with a KfwdError whose code is one of DIAL_ERROR. */
export type Dialer = (dest: Destination, options?: DialOptions) => Promise<Duplex>;

/** The error that refused a stream handed out early, once it is known; undefined if it connected (or was not early). */
export async function dialOutcome(stream: Duplex): Promise<unknown> {
  const connected = (stream as Duplex & { connected?: Promise<void> }).connected;
  try {
    await connected;
    return undefined;
  } catch (e) {
    return e;
  }
}

export { DIAL_ERROR, type DialErrorCode } from "../../wire/net";

const DIAL_CODES = new Set<string>(Object.values(DIAL_ERROR));

const REASONS: Record<DialErrorCode, string> = {
  [DIAL_ERROR.refused]: "connection refused",
  [DIAL_ERROR.unreachable]: "host unreachable",
  [DIAL_ERROR.nameNotFound]: "name not found",
  [DIAL_ERROR.timeout]: "timed out",
  [DIAL_ERROR.failed]: "connection failed",
  [DIAL_ERROR.denied]: "not allowed",
};

/** Builds the KfwdError a dial rejects with: `Cannot connect to "host:port": <reason>`. */
export function dialError(code: DialErrorCode, dest: Destination, detail?: string, cause?: unknown): KfwdError {
  const reason = detail === undefined ? REASONS[code] : `${REASONS[code]} (${detail})`;
  return new KfwdError(code, `Cannot connect to "${formatHostPort(dest)}": ${reason}`, undefined, { cause });
}

/** The DIAL_ERROR code of anything a dialer threw; unknown errors count as `failed`. */
export function dialErrorCode(e: unknown): DialErrorCode {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === "string" && DIAL_CODES.has(code)) return code as DialErrorCode;
  return dialErrorFromErrno(typeof code === "string" ? code : undefined);
}

export interface DirectDialerOptions {
  /** Give up a connect after this long (the OS default is minutes). Default 15 s. */
  timeoutMs?: number;
}

/** Dials from the host with net.connect; names resolve with the host's resolver. */
export function directDialer(options: DirectDialerOptions = {}): Dialer {
  const timeoutMs = options.timeoutMs ?? 15_000;
  return (dest) =>
    new Promise<Duplex>((resolve, reject) => {
      // allowHalfOpen: a peer's FIN must not end our write side; splice() propagates half-close explicitly.
      const socket = net.connect({ host: dest.host, port: dest.port, allowHalfOpen: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(dialError(DIAL_ERROR.timeout, dest, `after ${timeoutMs} ms`));
      }, timeoutMs);
      const onError = (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(dialError(dialErrorFromErrno(err.code), dest, err.code, err));
      };
      socket.once("error", onError);
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.removeListener("error", onError);
        // Until the caller attaches its own handlers, an error must not crash the process.
        socket.on("error", () => {});
        socket.setNoDelay(true);
        resolve(socket);
      });
    });
}
