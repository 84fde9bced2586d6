/**
 * Outgoing connections: each OPEN from kfwd becomes a TCP connection made from here, the pod's network view.
 *
 * Sockets are Bun's native ones (Bun.connect), not node:net: `write` hands bytes to the kernel and returns how
 * many it took, so a frame payload goes from the stdin chunk it arrived in straight to the socket. node:net
 * added a Writable, a pipe and, whenever the kernel buffer was full, a native copy of every later chunk; with
 * 32 KiB frames that per-chunk machinery was the agent's largest cost after the syscalls (bench/README.md).
 */
import type { Socket as BunSocket, SocketHandler } from "bun";
import { ResetReason } from "../wire/constants";
import type { IncomingOpen } from "../wire/mux";
import type { MuxStream } from "../wire/stream";
import { isPeerHangup } from "../wire/kfwd-error";
import { resetReasonFor } from "../wire/net";

export interface Dialer {
  handle(request: IncomingOpen): void;
  /** Drop every connection (the session ended). */
  closeAll(): void;
}

/** Per-connection state, carried as the Bun socket's `data`. */
interface Conn {
  stream: MuxStream | undefined;
  /** Bytes from kfwd the kernel has not taken yet (views of the frames they came in; no copy). While any are
   *  held the stream is paused, so this is at most one chunk: memory stays bounded by the stream's window. */
  pending: Uint8Array[];
  /** kfwd sent FIN: shut down our write side once `pending` is out. */
  ending: boolean;
  /** The socket is gone (both ways); the stream may still be finishing. */
  socketClosed: boolean;
  log: (msg: string) => void;
}

type Sock = BunSocket<Conn>;

/** Shared by every socket (Bun keeps one handler table per object): the per-connection state is `socket.data`. */
const handlers: SocketHandler<Conn> = {
  data(socket, chunk) {
    const stream = socket.data.stream;
    // Backpressure towards the destination: stop reading once the stream holds a window's worth.
    if (stream && !stream.destroyed && !stream.write(chunk)) socket.pause();
  },
  drain(socket) {
    flush(socket);
  },
  end(socket) {
    socket.data.stream?.end(); // the destination half-closed: FIN to kfwd, the other direction keeps going
  },
  error(socket, error) {
    const { stream, log } = socket.data;
    if (!stream) return;
    if (!isPeerHangup(error)) log(`stream ${stream.id}: ${error.message}`);
    stream.reset(resetReasonFor(error), error.message);
  },
  close(socket, error) {
    const conn = socket.data;
    conn.socketClosed = true;
    conn.pending.length = 0;
    const stream = conn.stream;
    if (!stream || stream.destroyed) return;
    // A clean close is the destination's FIN (Bun reports no separate 'end' once we have shut down our side):
    // pass it on; our FIN may still be queued and the stream finishes by itself. More data from kfwd after
    // this is answered with a reset (see splice).
    if (error) stream.reset(resetReasonFor(error), error.message);
    else if (!stream.writableEnded) stream.end();
  },
};

/** Writes what is pending; once all of it is out, resumes the stream (or sends our FIN). */
function flush(socket: Sock): void {
  const conn = socket.data;
  if (conn.socketClosed) return;
  while (conn.pending.length > 0) {
    const head = conn.pending[0]!;
    const n = socket.write(head);
    if (n < head.length) {
      if (n > 0) conn.pending[0] = head.subarray(n);
      return;
    }
    conn.pending.shift();
  }
  if (conn.ending) socket.shutdown();
  else conn.stream?.resume();
}

export function tcpDialer(options: { timeoutMs: number; log: (msg: string) => void }): Dialer {
  const sockets = new Set<Sock>();
  let closed = false;
  return {
    handle(request) {
      const { host, port } = request.target;
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        request.reject(ResetReason.TIMEOUT, `no answer within ${options.timeoutMs} ms`);
      }, options.timeoutMs);
      const conn: Conn = { stream: undefined, pending: [], ending: false, socketClosed: false, log: options.log };
      Bun.connect<Conn>({ hostname: host, port, allowHalfOpen: true, data: conn, socket: handlers }).then(
        (socket) => {
          if (settled || closed) return void socket.terminate(); // timed out (or the session ended) meanwhile
          settled = true;
          clearTimeout(timer);
          const stream = request.accept();
          if (stream.destroyed) return void socket.terminate(); // kfwd gave up on it while we dialed
          socket.setNoDelay(true);
          sockets.add(socket);
          stream.limitReadsOf((socket as unknown as { fd?: number }).fd); // many streams: keep each read small
          splice(socket, stream, () => sockets.delete(socket));
        },
        (error: unknown) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          request.reject(resetReasonFor(error), error instanceof Error ? error.message : String(error));
        },
      );
    },
    closeAll() {
      closed = true;
      for (const socket of sockets) socket.terminate();
      sockets.clear();
    },
  };
}

/**
 * Bytes both ways with backpressure, half-close passed on, resets both ways.
 * - kfwd → destination: each chunk goes to the kernel at once; what it does not take waits in `pending` and
 *   the stream is paused until the socket drains (so credit goes back to kfwd only as the destination reads).
 * - destination → kfwd: `stream.write` returns false once a window is queued; the socket pauses until 'drain'.
 */
function splice(socket: Sock, stream: MuxStream, forget: () => void): void {
  const conn = socket.data;
  conn.stream = stream;
  stream.on("data", (chunk: Buffer) => {
    if (conn.socketClosed)
      return void stream.reset(ResetReason.CONNECTION_RESET, "the destination closed the connection");
    if (conn.pending.length === 0) {
      const n = socket.write(chunk);
      if (n >= chunk.length) return;
      conn.pending.push(n > 0 ? chunk.subarray(n) : chunk);
    } else {
      conn.pending.push(chunk);
    }
    stream.pause();
  });
  stream.once("end", () => {
    conn.ending = true;
    if (conn.pending.length === 0 && !conn.socketClosed) socket.shutdown();
  });
  stream.on("drain", () => socket.resume());
  stream.on("error", () => {}); // reset by kfwd, or the session ended: 'close' below ends the socket
  stream.once("close", () => {
    forget();
    // Finished both ways: the FINs are queued, let the socket close by itself. Otherwise tear it down.
    if (conn.socketClosed) return;
    if (!(stream.readableEnded && stream.writableFinished)) socket.terminate();
    else socket.end();
  });
}
