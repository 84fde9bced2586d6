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
import { abort, join } from "../../wire/join";

export interface SpliceOptions {
  /** Called with unexpected (non-hangup) errors. */
  log?: (msg: string) => void;
  /** Names the connection in log lines. */
  label?: string;
}

/** `a` is the client, `b` the upstream. Resolves once both streams are closed. Never rejects. */
export function splice(a: Duplex, b: Duplex, options: SpliceOptions = {}): Promise<void> {
  const label = options.label ?? "splice";
  const unwatch =
    a instanceof Socket
      ? watchClient(
          a,
          // Its upload stuck, or it sent FIN: the cases where its leaving would go unnoticed.
          () => !b.destroyed && (b.writableLength > 0 || a.readableEnded),
          () => {
            if (a.readableEnded && a.writableFinished) return; // done cleanly: b finishes by itself
            if (!a.destroyed) options.log?.(`${label}: the client left, its data undeliverable`);
            abort(a);
            abort(b);
          },
        )
      : undefined;
  // Reads from a socket that feed a tunnel stream are kept small when the session carries many streams.
  if (b instanceof MuxStream) b.limitReadsOf(socketFd(a));
  if (a instanceof MuxStream) a.limitReadsOf(socketFd(b));
  return join(a, b, {
    onError: (error) => {
      if (!isPeerHangup(error)) options.log?.(`${label}: ${error.message}`);
    },
    onCleanClose: (side) => {
      if (side === a) abandonWhenStuck(b);
    },
  }).then(() => unwatch?.());
}

export { abort };

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
