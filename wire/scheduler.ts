/**
 * The single way bytes leave a session. Control frames go first; then streams with data and credit take turns,
 * one frame each (round-robin), so a bulk transfer cannot starve a small request. Everything produced in one
 * tick is batched into one buffer and one transport write; when the transport reports backpressure nothing
 * more is taken from the streams until it drains, which in turn holds their writers' callbacks.
 */
import type { Transport } from "./transport";
import { HEADER_SIZE, MAX_PAYLOAD } from "./constants";
import { writeFrame } from "./codec";
import type { MuxStream } from "./stream";
import { memoryMoved } from "./memory-guard";

/** Stop filling a batch past this: large writes cost less per byte, and at pipe speeds (~1 GB/s) a batch still
 *  leaves the host in ~0.1 ms, which bounds how long a small request waits behind bulk data. */
const BATCH_TARGET = 128 * 1024;
/** A batch stops growing once past BATCH_TARGET, so it is at most this big unless control frames pile up. */
const POOLED_BATCH_SIZE = BATCH_TARGET + HEADER_SIZE + MAX_PAYLOAD;
/** Batch buffers the transport has returned, reused instead of allocating 128 KiB per write: at 1 GB/s
 *  fresh buffers are ~8000 short-lived large allocations a second, which showed up as page faults, copies
 *  into cold memory, and RSS the garbage collector gives back late. Two cover one write in flight plus the
 *  one being filled. */
const POOL_LIMIT = 2;

export class SendScheduler {
  private control: Buffer[] = [];
  private readonly ring: MuxStream[] = [];
  private flushQueued = false;
  private waitingForDrain = false;
  private stopped = false;
  bytesSent = 0;

  private readonly pool: Buffer[] = [];
  /** The pooled buffer the batch just built lives in, if it is one. */
  private backing: Buffer | undefined;

  // Reused between batches so planning allocates nothing per frame.
  private readonly planStreams: MuxStream[] = [];
  private readonly planSizes: number[] = [];

  constructor(private readonly transport: Transport) {
    transport.onDrain(() => {
      this.waitingForDrain = false;
      this.flush();
    });
  }

  sendControl(type: number, flags: number, streamId: number, payload?: Uint8Array): void {
    if (this.stopped) return;
    const frame = Buffer.allocUnsafe(HEADER_SIZE + (payload?.length ?? 0));
    writeFrame(frame, 0, type, flags, streamId, payload);
    this.control.push(frame);
    this.wake();
  }

  schedule(stream: MuxStream): void {
    if (this.stopped || stream.queued) return;
    stream.queued = true;
    this.ring.push(stream);
    this.wake();
  }

  /** Write everything queued now, synchronously (used before closing the transport). */
  flushNow(): void {
    this.flush();
  }

  stop(): void {
    this.stopped = true;
    this.control = [];
    for (const stream of this.ring) stream.queued = false;
    this.ring.length = 0;
  }

  private wake(): void {
    if (this.flushQueued || this.waitingForDrain) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      this.flush();
    });
  }

  private flush(): void {
    while (!this.waitingForDrain && !this.stopped) {
      const batch = this.buildBatch();
      if (!batch) return;
      this.bytesSent += batch.length;
      memoryMoved(batch.length);
      const backing = this.backing;
      this.backing = undefined;
      const accepted = this.transport.write(batch, backing && (() => this.release(backing)));
      // Writers may continue once their bytes are in the transport, even above its high-water mark: the
      // next batch waits for the drain, so at most one batch overshoots.
      for (const stream of this.planStreams) stream.afterSend();
      this.planStreams.length = 0;
      this.planSizes.length = 0;
      if (!accepted) this.waitingForDrain = true;
    }
  }

  private release(buffer: Buffer): void {
    if (this.pool.length < POOL_LIMIT && !this.stopped) this.pool.push(buffer);
  }

  private buildBatch(): Buffer | undefined {
    let size = 0;
    for (const frame of this.control) size += frame.length;
    const streams = this.planStreams;
    const sizes = this.planSizes;
    while (size < BATCH_TARGET && this.ring.length > 0) {
      const stream = this.ring.shift()!;
      const n = stream.planFrame(MAX_PAYLOAD);
      if (n >= 0) {
        streams.push(stream);
        sizes.push(n);
        size += HEADER_SIZE + n;
      }
      if (stream.hasSendable() && !stream.destroyed) this.ring.push(stream);
      else stream.queued = false;
    }
    if (size === 0) return undefined;
    let batch: Buffer;
    // Small batches (credit updates, handshakes) come from Buffer's shared slab; only bulk ones are pooled.
    if (size > 16 * 1024 && size <= POOLED_BATCH_SIZE) {
      this.backing = this.pool.pop() ?? Buffer.allocUnsafeSlow(POOLED_BATCH_SIZE);
      batch = this.backing.subarray(0, size);
    } else {
      batch = Buffer.allocUnsafe(size);
    }
    let offset = 0;
    for (const frame of this.control) {
      frame.copy(batch, offset);
      offset += frame.length;
    }
    this.control.length = 0;
    for (let i = 0; i < streams.length; i++) offset = streams[i]!.emitFrame(batch, offset, sizes[i]!);
    return batch;
  }
}
