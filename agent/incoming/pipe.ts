/**
 * Byte plumbing for incoming connections: two Duplexes joined both ways (wire/join.ts, the same join as the
 * host's), and a pull reader over a Duplex for the HTTP filter.
 */
import type { Duplex } from "node:stream";

export { abort as resetSocket, join } from "../../wire/join";

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
