/**
 * Byte plumbing for incoming connections: two Duplexes joined both ways (half-close passed on, a reset or error
 * on one side tears down the other), and a pull reader over a Duplex for the HTTP filter.
 */
import type { Duplex } from "node:stream";

/** A reset where the socket supports one (a TCP RST keeps the TCP meaning), else a plain destroy. */
export function resetSocket(d: Duplex): void {
  const s = d as Duplex & { resetAndDestroy?: () => void };
  if (typeof s.resetAndDestroy === "function" && !d.destroyed) {
    try {
      s.resetAndDestroy();
      return;
    } catch {}
  }
  d.destroy();
}

/** Joins a and b both ways; resolves once both are closed. */
export function join(a: Duplex, b: Duplex): Promise<void> {
  return new Promise((resolve) => {
    let closed = 0;
    const fail = (): void => {
      resetSocket(a);
      resetSocket(b);
    };
    a.on("error", fail);
    b.on("error", fail);
    for (const [self, other] of [
      [a, b],
      [b, a],
    ] as const) {
      const onClose = (): void => {
        if (!(self.readableEnded && self.writableFinished)) resetSocket(other);
        if (++closed === 2) resolve();
      };
      if (self.closed) onClose();
      else self.once("close", onClose);
    }
    a.pipe(b);
    b.pipe(a);
  });
}

/** Pulls chunks from a Duplex one at a time (paused in between: backpressure), with put-back. */
export class PullReader {
  private queue: Buffer[] = [];
  private ended = false;
  private failed: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(readonly stream: Duplex) {
    stream.on("data", (chunk: Buffer) => {
      this.queue.push(chunk);
      stream.pause();
      this.notify();
    });
    stream.on("end", () => {
      this.ended = true;
      this.notify();
    });
    stream.on("error", (e: Error) => {
      this.failed = e;
      this.notify();
    });
    stream.on("close", () => {
      this.ended = true;
      this.notify();
    });
    stream.pause();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** The next chunk; null at the end. */
  async read(): Promise<Buffer | null> {
    for (;;) {
      const next = this.queue.shift();
      if (next) return next;
      if (this.failed) throw this.failed;
      if (this.ended) return null;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.stream.resume();
      });
    }
  }

  unshift(chunk: Buffer): void {
    if (chunk.length > 0) this.queue.unshift(chunk);
  }

  /** Hands what is queued, then the stream itself, to `to` (after an upgrade: raw bytes from here on). */
  drainInto(to: Duplex): void {
    for (const chunk of this.queue.splice(0)) to.write(chunk);
    this.stream.removeAllListeners("data");
    this.stream.removeAllListeners("end");
    if (this.ended) to.end();
  }
}

/** Writes with backpressure. */
export function write(to: Duplex, chunk: Uint8Array): Promise<void> {
  if (to.write(chunk)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      to.off("drain", done);
      to.off("close", done);
      resolve();
    };
    to.once("drain", done);
    to.once("close", done);
  });
}
