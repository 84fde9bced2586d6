/**
 * Two connected in-memory transports, for tests and in-process sessions. Delivery is asynchronous, like a real
 * byte stream, and `write` reports backpressure above `highWaterMark` bytes in flight. It uses setImmediate,
 * not a microtask: like real I/O it lets timers run, so an endless writer cannot starve the event loop.
 */
import type { Transport } from "../../wire/transport";

class MemoryEnd implements Transport {
  peer!: MemoryEnd;
  private readonly dataListeners: ((data: Uint8Array) => void)[] = [];
  private readonly drainListeners: (() => void)[] = [];
  private readonly closeListeners: ((error?: Error) => void)[] = [];
  private queue: Uint8Array[] = [];
  private inFlight = 0;
  private deliveryQueued = false;
  private needDrain = false;
  closed = false;

  constructor(
    private readonly highWaterMark: number,
    private readonly delayMs: number,
  ) {}

  write(data: Uint8Array): boolean {
    if (this.closed) return false;
    if (this.delayMs > 0) {
      // A long link: the bytes are in flight for delayMs, and what is in flight does not push back.
      setTimeout(() => this.enqueue(data), this.delayMs);
      return true;
    }
    return this.enqueue(data);
  }

  private enqueue(data: Uint8Array): boolean {
    this.queue.push(data);
    this.inFlight += data.length;
    if (!this.deliveryQueued) {
      this.deliveryQueued = true;
      setImmediate(() => this.deliver());
    }
    if (this.inFlight >= this.highWaterMark) this.needDrain = true;
    return !this.needDrain;
  }

  onData(listener: (data: Uint8Array) => void): void {
    this.dataListeners.push(listener);
  }

  onDrain(listener: () => void): void {
    this.drainListeners.push(listener);
  }

  onClose(listener: (error?: Error) => void): void {
    this.closeListeners.push(listener);
  }

  close(): void {
    if (this.closed) return;
    // Bytes already written still arrive, as with a socket's end().
    const shut = () => {
      this.deliver();
      this.shut();
      this.peer.shut();
    };
    if (this.delayMs > 0) setTimeout(shut, this.delayMs);
    else setImmediate(shut);
    this.closed = true;
  }

  /** Cut the connection without delivering what is queued, as a crash would. */
  destroy(error?: Error): void {
    this.queue = [];
    this.shut(error);
    this.peer.shut(error);
  }

  private shut(error?: Error): void {
    if (this.closeListeners.length === 0 && this.closed && this.dataListeners.length === 0) return;
    this.closed = true;
    const listeners = this.closeListeners.splice(0);
    this.dataListeners.length = 0;
    for (const listener of listeners) listener(error);
  }

  private deliver(): void {
    this.deliveryQueued = false;
    const chunks = this.queue;
    this.queue = [];
    for (const chunk of chunks) {
      this.inFlight -= chunk.length;
      for (const listener of this.peer.dataListeners) listener(chunk);
    }
    if (this.needDrain && this.inFlight < this.highWaterMark) {
      this.needDrain = false;
      for (const listener of this.drainListeners) listener();
    }
  }
}

/** `delayMs` delays every write by that long (half a round trip), without limiting what is in flight. */
export function memoryTransportPair(
  highWaterMark = 64 * 1024,
  delayMs = 0,
): [Transport & { destroy(error?: Error): void }, Transport & { destroy(error?: Error): void }] {
  const a = new MemoryEnd(highWaterMark, delayMs);
  const b = new MemoryEnd(highWaterMark, delayMs);
  a.peer = b;
  b.peer = a;
  return [a, b];
}
