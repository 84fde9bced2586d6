/**
 * One multiplexed connection as a node Duplex. Both directions are credit flow controlled:
 * - writable: bytes wait here until the peer granted credit; the session's scheduler takes them a frame at a
 *   time (round-robin across streams) and the write callback fires once they are on the transport;
 * - readable: the peer may have at most `window` bytes unread here; credit goes back (WINDOW_UPDATE) only as
 *   the consumer drains the buffer, so a reader that stops reading stops its sender and nobody else.
 * Both sides also count against the session's budgets (budget.ts): credit is granted only within the receive
 * budget, and `write()` reports backpressure while the session's send queue is full.
 */
import { Duplex } from "node:stream";
import { performance } from "node:perf_hooks";
import { Flag, FrameType, HEADER_SIZE, MAX_WINDOW, ResetReason } from "./constants";
import { writeFrame } from "./codec";
import { encodeReason, encodeU32 } from "./payloads";
import { streamResetError } from "./errors";
import { MIN_GRANT, type ReceiveBudget, type SendBudget } from "./budget";
import { capReceiveBuffer } from "./socket-buffer";
import { WindowSizer, creditStep } from "./window-sizing";

/** What a stream needs from its session. */
export interface StreamSession {
  /** The stream has something to send (data with credit, or FIN). */
  schedule(stream: MuxStream): void;
  sendControl(type: number, flags: number, streamId: number, payload?: Uint8Array): void;
  /** The stream is finished on the wire; drop it from the table. */
  forget(stream: MuxStream): void;
  readonly receiveBudget: ReceiveBudget;
  readonly sendBudget: SendBudget;
  /** The link's round trip (ms; the smallest recent ping), once measured: window-sizing.ts. */
  rttMs(): number | undefined;
  /** The window streams on this link grew to (0: none yet); new streams start from it. */
  readonly linkWindow: { reached: number };
}

type WriteCallback = (error?: Error | null) => void;

export class MuxStream extends Duplex {
  // Writable side.
  private readonly chunks: Buffer[] = [];
  private headOffset = 0;
  /** Bytes queued and not yet planned into a frame. */
  private unplanned = 0;
  private enqueuedTotal = 0;
  private sentTotal = 0;
  private readonly callbacks: { end: number; cb: WriteCallback }[] = [];
  private sendCredit: number;
  private finalCallback: WriteCallback | undefined;
  private finPlanned = false;
  private finSent = false;
  /** Set by the scheduler while the stream sits in its round-robin ring. */
  queued = false;
  /**
   * On a stream opened with early data (before the peer answered): settles when the peer accepts, or rejects
   * with the dial error when it refuses (the stream is then destroyed with the same error).
   */
  connected: Promise<void> | undefined;

  // Readable side.
  private received = 0;
  /** Credit granted in all (the opening window plus every WINDOW_UPDATE): the peer may send this much. */
  private limit: number;
  /** Consumed bytes already given back to the receive budget. */
  private released = 0;
  private left = false;
  /** `write()` returned false for the send budget (not the high-water mark): 'drain' is ours to emit. */
  private overAllowance = false;
  private finReceived = false;
  private grantQueued = false;
  /** Grows this stream's window from RTT × rate when the window is what limits it (from the link's). */
  private readonly sizer: WindowSizer;

  private resetSent = false;
  private resetReceived = false;

  constructor(
    private readonly session: StreamSession,
    readonly id: number,
    peerWindow: number,
  ) {
    const budget = session.receiveBudget;
    super({
      allowHalfOpen: true,
      readableHighWaterMark: Math.max(1, budget.streamWindow >>> 1),
      writableHighWaterMark: 64 * 1024,
    });
    this.sendCredit = peerWindow;
    this.sizer = new WindowSizer(undefined, session.linkWindow.reached);
    this.limit = budget.opening; // reserved when the stream was admitted
    session.sendBudget.join(this);
  }

  /** Set by `limitReadsOf`: caps the kernel receive buffer of the socket that feeds this stream. */
  capSocket: ((bytes: number) => void) | undefined;

  /**
   * The TCP socket `fd` feeds this stream: while the session carries many streams its kernel receive buffer is
   * kept to about this stream's share of the send budget, so that a read it cannot send yet stays small
   * (socket-buffer.ts), and shrunk again as streams are added.
   */
  limitReadsOf(fd: number | undefined): void {
    if (fd === undefined) return;
    this.capSocket = (bytes) => capReceiveBuffer(fd, bytes);
    const cap = this.session.sendBudget.socketBuffer();
    if (cap !== undefined) this.capSocket(cap);
  }

  /** Backpressure also once this stream has its share of the session's send budget queued. */
  override write(
    chunk: unknown,
    encodingOrCallback?: BufferEncoding | WriteCallback,
    callback?: WriteCallback,
  ): boolean {
    const ok = super.write(chunk, encodingOrCallback as BufferEncoding, callback);
    if (!ok || this.writableLength < this.session.sendBudget.allowance()) return ok;
    this.overAllowance = true;
    return false;
  }

  /** Abort the stream in both directions and tell the peer why. */
  reset(reason: number = ResetReason.CANCELLED, message = ""): void {
    if (!this.resetSent && !this.resetReceived && !(this.finSent && this.finReceived)) {
      this.resetSent = true;
      this.session.sendControl(FrameType.RESET, 0, this.id, encodeReason(reason, message));
    }
    this.destroy();
  }

  // ---- called by the session -------------------------------------------------------------------------------

  /** DATA arrived. Returns false if the peer overran its credit (the session then resets the stream). */
  handleData(payload: Buffer, fin: boolean): boolean {
    if (this.finReceived || this.destroyed) return true; // after our RESET, frames in flight are dropped
    this.received += payload.length;
    if (this.received > this.limit) return false;
    if (!this.sizer.sampling) this.sizer.start(this.received, performance.now());
    // A payload is a view of the transport's read; one that will wait for a slow consumer is copied, so that it
    // does not keep the whole read (up to hundreds of KiB) alive outside the budget.
    if (payload.length > 0)
      this.push(this.readableLength > 0 || !this.readableFlowing ? Buffer.from(payload) : payload);
    if (fin) {
      this.finReceived = true;
      // The peer sends nothing more: credit it did not use is free again now, not when the stream is destroyed
      // (a stream nobody reads to its end may never be).
      if (!this.left) this.session.receiveBudget.release(this.limit - this.received);
      this.limit = this.received;
      this.push(null);
      this.maybeForget();
    } else {
      this.grantCredit();
    }
    return true;
  }

  /** This stream's window now: the session's starting window, or more once grown from RTT × rate. */
  get window(): number {
    return this.sizer.window(this.session.receiveBudget.streamWindow);
  }

  handleWindowUpdate(increment: number): void {
    this.sendCredit = Math.min(MAX_WINDOW, this.sendCredit + increment);
    if (this.unplanned > 0) this.session.schedule(this);
  }

  handleReset(reason: number, message: string): void {
    this.resetReceived = true;
    this.destroy(streamResetError(this.id, reason, message));
  }

  /** A stream the peer opened and we refuse before answering: drop what it sent, send nothing more. */
  discard(): void {
    this.resetReceived = true;
    this.destroy();
  }

  /** The session ended under us. */
  abort(error: Error): void {
    this.resetReceived = true; // nothing more can be sent
    this.destroy(error);
  }

  /** How many payload bytes the next frame may carry (0 with a FIN is a bare FIN), or -1 for nothing to send. */
  planFrame(max: number): number {
    if (this.destroyed) return -1;
    const n = Math.min(max, this.unplanned, this.sendCredit);
    if (n > 0) {
      this.unplanned -= n;
      this.sendCredit -= n;
      return n;
    }
    if (this.finalCallback && this.unplanned === 0 && !this.finPlanned) {
      this.finPlanned = true;
      return 0;
    }
    return -1;
  }

  /** Writes a planned frame of `n` payload bytes into `target`; returns the offset after it. */
  emitFrame(target: Buffer, offset: number, n: number): number {
    const fin = n === 0 && this.finPlanned && !this.finSent;
    const flags = fin ? Flag.FIN : 0;
    writeFrame(target, offset, FrameType.DATA, flags, this.id);
    target[offset + 2] = n >>> 8;
    target[offset + 3] = n & 0xff;
    let at = offset + HEADER_SIZE;
    let left = n;
    while (left > 0) {
      const chunk = this.chunks[0]!;
      const take = Math.min(left, chunk.length - this.headOffset);
      chunk.copy(target, at, this.headOffset, this.headOffset + take);
      at += take;
      left -= take;
      this.headOffset += take;
      if (this.headOffset === chunk.length) {
        this.chunks.shift();
        this.headOffset = 0;
      }
    }
    this.sentTotal += n;
    if (fin) this.finSent = true;
    return at;
  }

  /** After the batch holding this stream's frames went to the transport: release writers waiting on it. */
  afterSend(): void {
    while (this.callbacks.length > 0 && this.callbacks[0]!.end <= this.sentTotal) this.callbacks.shift()!.cb();
    if (this.overAllowance && this.writableLength < this.session.sendBudget.allowance()) {
      this.overAllowance = false;
      this.emit("drain");
    }
    if (this.finSent && this.finalCallback) {
      const cb = this.finalCallback;
      this.finalCallback = undefined;
      cb();
      this.maybeForget();
    }
  }

  hasSendable(): boolean {
    return (
      (this.unplanned > 0 && this.sendCredit > 0) || (!!this.finalCallback && this.unplanned === 0 && !this.finPlanned)
    );
  }

  // ---- Duplex ------------------------------------------------------------------------------------------------

  override _read(): void {
    // Node calls _read before it takes the bytes out of the buffer, so what was consumed is only visible a
    // moment later. Without the deferral a sender whose credit is spent would never hear from us again.
    if (this.grantQueued) return;
    this.grantQueued = true;
    queueMicrotask(() => {
      this.grantQueued = false;
      this.grantCredit();
    });
  }

  override _writev(chunks: { chunk: Buffer }[], cb: WriteCallback): void {
    let bytes = 0;
    for (const { chunk } of chunks) {
      if (chunk.length === 0) continue;
      this.chunks.push(chunk);
      bytes += chunk.length;
    }
    this.enqueue(bytes, cb);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, cb: WriteCallback): void {
    if (chunk.length > 0) this.chunks.push(chunk);
    this.enqueue(chunk.length, cb);
  }

  override _final(cb: WriteCallback): void {
    this.finalCallback = cb;
    this.session.schedule(this);
  }

  override _destroy(error: Error | null, cb: (error?: Error | null) => void): void {
    this.leaveBudgets();
    if (!this.resetSent && !this.resetReceived && !(this.finSent && this.finReceived)) {
      this.resetSent = true;
      this.session.sendControl(FrameType.RESET, 0, this.id, encodeReason(ResetReason.CANCELLED));
    }
    this.chunks.length = 0;
    this.unplanned = 0;
    this.session.forget(this);
    cb(error);
  }

  private enqueue(bytes: number, cb: WriteCallback): void {
    if (bytes === 0) return cb();
    this.enqueuedTotal += bytes;
    this.unplanned += bytes;
    this.callbacks.push({ end: this.enqueuedTotal, cb });
    this.session.schedule(this);
  }

  /**
   * Give bytes the consumer has taken back to the receive budget, and grant the peer what the budget allows:
   * up to the stream's target window (its window, at most its share of the budget) counting what is buffered and
   * what the peer may still send. Waits until a step (half a target; an eighth on a long link) is owed so
   * updates are not sent per chunk, unless the peer is nearly out of credit. Called only as data arrives or is consumed: a stream grows beyond its opening window only
   * once it is used, so idle streams hold no more than that.
   */
  private grantCredit(): void {
    if (this.left) return;
    const consumed = this.received - this.readableLength;
    const budget = this.session.receiveBudget;
    budget.release(consumed - this.released);
    this.released = consumed;
    if (this.finReceived || this.destroyed) return;
    const target = budget.target(this.window);
    const n = budget.grantable(this.limit - consumed, target);
    if (n <= 0) {
      // The peer is (nearly) out of credit and nothing may come to make us ask again (Node does not call _read
      // again for a stream that did not push): ask again whenever credit is freed, ours or another stream's.
      // (Less than the smallest grant left counts as out.)
      if (this.limit - this.received < MIN_GRANT) budget.waitForRoom(this.retryGrant);
      return;
    }
    const rttMs = this.session.rttMs();
    const step = creditStep(target, rttMs);
    if (n < step && this.limit - this.received >= step) return;
    this.sizeWindow(rttMs);
    this.limit += n;
    budget.commit(n);
    this.session.sendControl(FrameType.WINDOW_UPDATE, 0, this.id, encodeU32(n));
  }

  /** Credit is going back while our consumer keeps up (at most half a window buffered): let the sizer measure
   *  the rate and grow the window if it is what holds the stream back (RTT × rate, window-sizing.ts). */
  private sizeWindow(rttMs: number | undefined): void {
    const base = this.session.receiveBudget.streamWindow;
    if (this.readableLength > this.sizer.window(base) >>> 1) return;
    const window = this.sizer.sample(this.received, performance.now(), rttMs, base);
    // The link carried this much: the next stream on it starts there (still within its share of the budget).
    if (window > base) this.session.linkWindow.reached = window;
  }

  /** Once, when the stream is destroyed: what it buffered and the credit the peer did not use are free again
   *  (frames still in flight for it are dropped), and its share of the send budget goes to the others. */
  private readonly retryGrant = (): void => this.grantCredit();

  private leaveBudgets(): void {
    if (this.left) return;
    this.left = true;
    this.session.receiveBudget.stopWaiting(this.retryGrant);
    this.session.receiveBudget.leave(this.limit - this.released);
    this.session.sendBudget.leave(this);
  }

  private maybeForget(): void {
    if (this.finSent && this.finReceived) this.session.forget(this);
  }
}
