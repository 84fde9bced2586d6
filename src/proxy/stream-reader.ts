/**
 * Pull-style reading of a Duplex for protocol code that alternates between parsing and forwarding: read() a
 * chunk, unread() what belongs to the next message, pump a framed body with backpressure. Not reading leaves
 * bytes in the stream (and the kernel), so a fast sender never grows our memory.
 */
import type { Duplex, Writable } from "node:stream";
import { type BodyFramer, HeadReader } from "./http-parser";

export class StreamReader {
  #pending: Buffer | null = null;
  #taken = 0;
  #ended = false;
  #closed = false;
  #wake: (() => void) | undefined;
  readonly #onReadable = () => this.#notify();
  readonly #onEnd = () => {
    this.#ended = true;
    this.#notify();
  };
  readonly #onClose = () => {
    this.#closed = true;
    this.#notify();
  };

  constructor(readonly stream: Duplex) {
    stream.on("readable", this.#onReadable);
    stream.on("end", this.#onEnd);
    stream.on("close", this.#onClose);
  }

  /** Chunks taken from the stream so far: tells a stream still delivering from one gone silent. */
  get taken(): number {
    return this.#taken;
  }

  /** A clean end of stream was seen (as opposed to a reset or destroy). */
  get ended(): boolean {
    return this.#ended;
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** The next chunk, or null once the stream has ended or closed. */
  async read(): Promise<Buffer | null> {
    for (;;) {
      if (this.#pending !== null) {
        const out = this.#pending;
        this.#pending = null;
        return out;
      }
      const chunk = this.stream.read() as Buffer | null;
      if (chunk !== null) {
        this.#taken++;
        return chunk;
      }
      if (this.#ended || this.#closed || this.stream.destroyed) return null;
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  /** Ends reading now, as if the stream had closed (for when its own events cannot be relied on). */
  interrupt(): void {
    this.#closed = true;
    this.#notify();
  }

  /** Puts bytes back in front of the stream. */
  unread(data: Buffer): void {
    if (data.length === 0) return;
    this.#pending = this.#pending === null ? data : Buffer.concat([data, this.#pending]);
  }

  /** Stops reading (so the stream can be piped) and returns what was read but not consumed. */
  detach(): Buffer | null {
    this.stream.removeListener("readable", this.#onReadable);
    this.stream.removeListener("end", this.#onEnd);
    this.stream.removeListener("close", this.#onClose);
    const rest = this.#pending;
    this.#pending = null;
    this.#notify();
    return rest;
  }
}

/** Reads one head. Undefined when the stream ends first; `partial` then says whether a head was cut short. */
export async function readHead<T>(
  reader: StreamReader,
  parse: (lines: string[]) => T,
): Promise<{ head: T } | { head: undefined; partial: boolean }> {
  const heads = new HeadReader(parse);
  for (;;) {
    const chunk = await reader.read();
    if (chunk === null) return { head: undefined, partial: heads.buffered > 0 };
    const got = heads.push(chunk);
    if (got !== undefined) {
      reader.unread(got.rest);
      return { head: got.head };
    }
  }
}

/** Resolves when `dest` accepts more, or has closed (then writing is over anyway), or `signal` aborts. */
export function drained(dest: Writable, signal?: AbortSignal): Promise<void> {
  if (dest.destroyed || !dest.writableNeedDrain || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      dest.removeListener("drain", done);
      dest.removeListener("close", done);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    dest.on("drain", done);
    dest.on("close", done);
    signal?.addEventListener("abort", done);
  });
}

/**
 * Copies one framed body from `reader` to `dest`, with backpressure. Resolves true when the body is complete,
 * false when the source ended or was reset first, or `dest` was destroyed, or `signal` aborted.
 */
export async function pumpBody(
  reader: StreamReader,
  dest: Writable,
  framer: BodyFramer,
  signal?: AbortSignal,
): Promise<boolean> {
  while (!framer.done) {
    const chunk = await reader.read();
    // A reset (or destroy) is never a clean end, not even of a body delimited by the connection closing.
    if (chunk === null) return reader.ended && framer.endOfStream();
    const n = framer.consume(chunk);
    if (n < chunk.length) reader.unread(chunk.subarray(n));
    if (dest.destroyed || signal?.aborted) return false;
    if (n > 0 && !dest.write(n === chunk.length ? chunk : chunk.subarray(0, n))) await drained(dest, signal);
  }
  return true;
}
