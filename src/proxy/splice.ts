/**
 * Joins two connected byte streams both ways: the data path of every proxied connection after its handshake.
 *
 * - Backpressure: stream.pipe pauses the reader while the writer is above its high-water mark.
 * - Half-close: when one side's readable ends (the peer sent FIN), end() the other side's writable; the
 *   opposite direction keeps flowing until it ends too. Sockets must be created with allowHalfOpen.
 * - Errors: an error on either side destroys both. Peers hanging up (EPIPE, ECONNRESET) is normal and never
 *   reported; anything else goes to `log`.
 * No per-chunk work is done here beyond what pipe itself does.
 */
import type { Duplex } from "node:stream";
import { isPeerHangup } from "../errors";
import { MuxStream } from "../../wire/stream";
import { socketFd } from "../../wire/socket-buffer";

export interface SpliceOptions {
  /** Called with unexpected (non-hangup) errors. */
  log?: (msg: string) => void;
  /** Names the connection in log lines. */
  label?: string;
}

/** Resolves once both streams are closed. Never rejects. */
export function splice(a: Duplex, b: Duplex, options: SpliceOptions = {}): Promise<void> {
  return new Promise((resolve) => {
    let closed = 0;
    let failed = false;

    const fail = (err: Error) => {
      if (!failed && !isPeerHangup(err)) options.log?.(`${options.label ?? "splice"}: ${err.message}`);
      failed = true;
      a.destroy();
      b.destroy();
    };
    const onClose = (self: Duplex, other: Duplex) => {
      // A side that closed without finishing both directions was torn down (reset, destroy()): the
      // connection as a whole is over, so do not leave the other side open half-way.
      if (!(self.readableEnded && self.writableFinished)) other.destroy();
      if (++closed === 2) resolve();
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
