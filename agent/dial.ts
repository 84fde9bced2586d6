/** Outgoing connections: each OPEN from kfwd becomes a TCP connection made from here, the pod's network view. */
import { connect, type NetConnectOpts, type Socket } from "node:net";
import { ResetReason } from "../src/wire/constants";
import type { IncomingOpen } from "../src/wire/mux";
import type { MuxStream } from "../src/wire/stream";
import { isPeerHangup } from "../src/errors";

/** How connection errors are reported to kfwd. EAI_* are getaddrinfo failures: the name did not resolve. */
export function resetReasonFor(error: unknown): number {
  const code = String((error as { code?: unknown } | null)?.code ?? "");
  if (code === "ECONNREFUSED") return ResetReason.REFUSED;
  if (code === "ENOTFOUND" || code.startsWith("EAI_") || code === "DNS_ENOTFOUND") return ResetReason.NAME_NOT_FOUND;
  if (code === "EHOSTUNREACH" || code === "ENETUNREACH" || code === "EHOSTDOWN" || code === "ENETDOWN") return ResetReason.UNREACHABLE;
  if (code === "ETIMEDOUT") return ResetReason.TIMEOUT;
  if (code === "ECONNRESET" || code === "EPIPE") return ResetReason.CONNECTION_RESET;
  return ResetReason.FAILED;
}

/** Per-socket buffering in each direction. The 16 KiB default makes every 32 KiB frame a pause/drain round
 *  trip between the stream and the socket; one window of room keeps bulk transfers moving. */
const SOCKET_HIGH_WATER_MARK = 256 * 1024;

export interface Dialer {
  handle(request: IncomingOpen): void;
  /** Drop every connection (the session ended). */
  closeAll(): void;
}

export function tcpDialer(options: { timeoutMs: number; log: (msg: string) => void }): Dialer {
  const sockets = new Set<Socket>();
  return {
    handle(request) {
      const { host, port } = request.target;
      // Bun and node accept stream options here; @types/node does not list them.
      const socket = connect({ host, port, allowHalfOpen: true, writableHighWaterMark: SOCKET_HIGH_WATER_MARK, readableHighWaterMark: SOCKET_HIGH_WATER_MARK } as NetConnectOpts);
      sockets.add(socket);
      socket.once("close", () => sockets.delete(socket));
      const timer = setTimeout(() => {
        socket.destroy();
        request.reject(ResetReason.TIMEOUT, `no answer within ${options.timeoutMs} ms`);
      }, options.timeoutMs);
      const failDial = (error: Error): void => {
        clearTimeout(timer);
        request.reject(resetReasonFor(error), error.message);
      };
      socket.once("error", failDial);
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.off("error", failDial);
        socket.setNoDelay(true);
        splice(socket, request.accept(), options.log);
      });
    },
    closeAll() {
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
  };
}

/**
 * Bytes both ways with backpressure (pipe), half-close passed on (pipe ends the other side), resets both ways.
 * A socket's plain close needs no handling: its 'end' already ended the stream, and the FIN may still be queued.
 */
function splice(socket: Socket, stream: MuxStream, log: (msg: string) => void): void {
  socket.pipe(stream);
  stream.pipe(socket);
  socket.on("error", (error) => {
    if (!isPeerHangup(error)) log(`stream ${stream.id}: ${error.message}`);
    stream.reset(resetReasonFor(error), error.message);
  });
  stream.on("error", () => socket.destroy()); // reset by kfwd, or the session ended
  stream.once("close", () => {
    if (!socket.destroyed && !(stream.readableEnded && stream.writableFinished)) socket.destroy();
  });
}
