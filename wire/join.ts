/**
 * Two connected byte streams joined both ways — the data path of every proxied or intercepted connection once it
 * is set up, on the host and in the agent alike:
 * - backpressure: pipe pauses the reader while the writer is above its high-water mark;
 * - half-close: one side's end (FIN) ends the other side's writable; the other direction keeps flowing;
 * - resets stay resets: a side torn down (reset by its peer, or failed) tears the other down with a TCP reset
 *   where it is a socket, never a FIN, which would make a cut-short transfer look complete.
 * Sockets must be created with allowHalfOpen. No per-chunk work is done beyond what pipe itself does.
 */
import type { Duplex } from "node:stream";

export interface JoinHooks {
  /** The first error on either side (both are torn down). */
  onError?(error: Error): void;
  /** `side` finished both directions cleanly; `other` is still open. */
  onCleanClose?(side: Duplex, other: Duplex): void;
}

/** Resolves once both streams are closed. Never rejects. */
export function join(a: Duplex, b: Duplex, hooks: JoinHooks = {}): Promise<void> {
  return new Promise((resolve) => {
    let closed = 0;
    let failed = false;
    const fail = (error: Error): void => {
      if (!failed) hooks.onError?.(error);
      failed = true;
      abort(a);
      abort(b);
    };
    const onClose = (self: Duplex, other: Duplex): void => {
      // A side that closed without finishing both directions was torn down: the connection as a whole is over.
      if (!(self.readableEnded && self.writableFinished)) abort(other);
      else {
        drainInto(other);
        hooks.onCleanClose?.(self, other);
      }
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
    a.pipe(b);
    b.pipe(a);
  });
}

/**
 * `side`'s reader closed (pipe let go of it) before `side` ended, e.g. a socket that ended its own writable on
 * its peer's FIN: read on, so that its end still arrives and it is released — a paused stream would keep its
 * place (a tunnel stream its slot in the session) forever. Data nobody can take any more is refused with a
 * reset, as TCP answers data for a closed socket.
 */
function drainInto(side: Duplex): void {
  if (side.readableEnded || side.destroyed) return;
  side.on("data", () => abort(side));
  side.resume();
}

/** Tears a side down: a TCP socket with a reset (RST), anything else (a tunnel stream: RESET) by destroy(). */
export function abort(side: Duplex): void {
  if (side.destroyed) return;
  const reset = (side as Duplex & { resetAndDestroy?: () => void }).resetAndDestroy;
  if (typeof reset === "function") {
    try {
      reset.call(side);
      return;
    } catch {}
  }
  side.destroy();
}
