/**
 * Joins two connected byte streams both ways: the data path of every proxied connection after its handshake.
 *
 * - Backpressure: stream.pipe pauses the reader while the writer is above its high-water mark.
 * - Half-close: when one side's readable ends (the peer sent FIN), end() the other side's writable; the
 *   opposite direction keeps flowing until it ends too. Sockets must be created with allowHalfOpen.
 * - Errors: an error on either side tears both down. Peers hanging up (EPIPE, ECONNRESET) is normal and never
 *   reported; anything else goes to `log`.
 * - A client that leaves while the destination is not reading (its upload stuck), or after its FIN while the
 *   destination neither answers nor closes, is noticed (client-gone.ts): both sides are reset rather than held
 *   open forever. A client that only half-closed still holds its socket and keeps its connection.
 * - Resets stay resets: a side torn down (reset by its peer, or failed) is passed on as a TCP reset to a socket
 *   on the other side, never as a FIN, which would make a cut-short transfer look complete.
 * No per-chunk work is done here beyond what pipe itself does.
 */
import { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { isPeerHangup } from "../errors";
import { watchClient } from "./client-gone";
import { MuxStream } from "../../wire/stream";
import { socketFd } from "../../wire/socket-buffer";

export interface SpliceOptions {
  /** Called with unexpected (non-hangup) errors. */
  log?: (msg: string) => void;
  /** Names the connection in log lines. */
  label?: string;
}

/** `a` is the client, `b` the upstream. Resolves once both streams are closed. Never rejects. */
export function splice(a: Duplex, b: Duplex, options: SpliceOptions = {}): Promise<void> {
  return new Promise((resolve) => {
    let closed = 0;
    let failed = false;
    const unwatch =
      a instanceof Socket
        ? watchClient(
            a,
            // Its upload stuck, or it sent FIN: the cases where its leaving would go unnoticed.
            () => !b.destroyed && (b.writableLength > 0 || a.readableEnded),
            () => {
              if (a.readableEnded && a.writableFinished) return; // done cleanly: b finishes by itself
              if (!a.destroyed) options.log?.(`${options.label ?? "splice"}: the client left, its data undeliverable`);
              abort(a);
              abort(b);
            },
          )
        : undefined;

    const fail = (err: Error) => {
      if (!failed && !isPeerHangup(err)) options.log?.(`${options.label ?? "splice"}: ${err.message}`);
      failed = true;
      abort(a);
      abort(b);
    };
    const onClose = (self: Duplex, other: Duplex) => {
      // A side that closed without finishing both directions was torn down (reset, destroy()): the
      // connection as a whole is over, so do not leave the other side open half-way.
      if (!(self.readableEnded && self.writableFinished)) abort(other);
      else if (self === a) abandonWhenStuck(b);
      if (++closed === 2) {
        unwatch?.();
        resolve();
      }
    };

    a.on("error", fail);
    b.on("error", fail);
    for (const [self, other] of [
      [a, b],
      [b, a],
    ] as const) {
      if (self.closed) onClose(self, other);
      else self.once("close", () => onClose(self, other));
    }
    // Reads from a socket that feed a tunnel stream are kept small when the session carries many streams.
    if (b instanceof MuxStream) b.limitReadsOf(socketFd(a));
    if (a instanceof MuxStream) a.limitReadsOf(socketFd(b));
    a.pipe(b);
    b.pipe(a);
  });
}

/** Tears a side down: a TCP socket with a reset (RST), anything else (a tunnel stream: RESET) by destroy(). */
export function abort(side: Duplex): void {
  if (side.destroyed) return;
  const reset = (side as Partial<Socket>).resetAndDestroy;
  if (typeof reset === "function") reset.call(side);
  else side.destroy();
}

/**
 * The client closed cleanly, but its last bytes (and FIN) still wait for the destination to read them: let
 * them go out while the destination takes any, and reset once it has taken nothing for a second — the client
 * is gone, so nobody would ever end this stream otherwise.
 */
function abandonWhenStuck(upstream: Duplex, last = upstream.writableLength): void {
  if (upstream.destroyed || upstream.writableLength === 0) return;
  setTimeout(() => {
    if (upstream.writableLength === last) abort(upstream);
    else abandonWhenStuck(upstream);
  }, 1_000).unref();
}
