/**
 * Session-wide memory budgets (docs/wire-protocol.md §5): however many streams a session carries, what the peer
 * can make us buffer, and what we queue towards the transport, stay bounded.
 *
 * Receive: every byte of credit we grant is a byte the peer may make us hold until our consumer takes it, and
 * credit cannot be taken back. The budget counts, over all streams, credit granted and not yet consumed (data
 * buffered plus credit outstanding); no grant may take that total past the budget. Half of it is kept for the
 * opening windows of `maxStreams` streams (the HELLO `window`: what a stream may receive before any
 * WINDOW_UPDATE), so a new stream is admitted whenever fewer than `maxStreams` are open, however much credit
 * idle streams still hold; past that it waits for one to end. The other half is for growth: a stream that is
 * receiving is granted more, up to its share of the budget and at most its window (`streamWindow`, or more
 * once sized from RTT × rate: window-sizing.ts), and a stream above its
 * share (more streams arrived) gets nothing until it is back under. No protocol change: the peer only ever
 * sees credit it was granted.
 *
 * Send: each stream may queue about its share of the send budget (at least MIN_SEND_QUEUE) before `write()`
 * reports backpressure; a stream without credit therefore holds at most that plus the one chunk its writer
 * had already read.
 */

const KiB = 1024;
const MiB = 1024 * KiB;

/** Streams open at once per session; more wait (kfwd) or are queued by the agent until one ends. */
export const MAX_STREAMS = 2048;
/** Opens waiting for a stream slot, per session; past this they fail at once. */
export const MAX_QUEUED_OPENS = 4096;
/** The largest opening window: a request and the start of its reply rarely wait for a WINDOW_UPDATE. */
export const OPENING_WINDOW = 16 * KiB;
/** kfwd's receive budget per session: 2,048 opening windows of 16 KiB and 32 MiB of growth (2 streams at the
 *  cluster's 16 MiB starting window, 128 at the local 256 KiB). */
export const HOST_RECEIVE_BUDGET = 64 * MiB;
/** The agent's receive budget per session without a known memory limit (a local agent, an ephemeral container,
 *  which may not set resources): opening windows of 6 KiB, 12 MiB of growth. With the send budget and Bun's own
 *  ~45 MB, 2,000 stalled streams peak at ~105–127 MB, inside a 128Mi limit. */
export const AGENT_RECEIVE_BUDGET = 24 * MiB;
/** The limit AGENT_RECEIVE_BUDGET is sized for. */
const AGENT_BASE_LIMIT = 128 * MiB;

/**
 * The agent's receive budget for its container's memory limit: AGENT_RECEIVE_BUDGET at 128Mi (or when unknown),
 * plus half of every byte above it, between 8 and 64 MiB. The budget is what limits an upload on a long link
 * (one stream gets half of it in flight: 12 MiB ≈ 130 MB/s at 50 ms, 28 MiB at the default 192Mi ≈ port-forward's
 * rate); half of the extra memory keeps 2,000 stalled streams (each holding its share) under the limit.
 */
export function agentReceiveBudget(memoryLimit: number | undefined): number {
  if (memoryLimit === undefined || !Number.isFinite(memoryLimit) || memoryLimit <= 0) return AGENT_RECEIVE_BUDGET;
  const budget = AGENT_RECEIVE_BUDGET + (memoryLimit - AGENT_BASE_LIMIT) / 2;
  return Math.round(Math.min(64 * MiB, Math.max(8 * MiB, budget)));
}
/** Above this RSS the process collects garbage early (memory-guard.ts): dead read buffers, not live ones, are
 *  what brings the agent near its container's limit when many streams move data. kfwd's mark is above what a
 *  session without bulk traffic reaches (~70 MB), and with the guard's 12 MiB step keeps one 1 GiB upload under
 *  ~80 MB; the agent's RSS right after a collection during a bulk transfer is already ~61–68 MB (Bun's code pages
 *  are ~44 of it), so a lower mark would buy it collections more than memory. */
export const AGENT_COLLECT_ABOVE_RSS = 80 * MiB;
export const HOST_COLLECT_ABOVE_RSS = 72 * MiB;
/** Bytes queued on streams for the transport, per session (shared out as per-stream allowances). */
export const SEND_BUDGET = 8 * MiB;
/** A stream may always queue this much, whatever its share: 2,048 streams × 4 KiB = the send budget. */
const MIN_SEND_QUEUE = 4 * KiB;
/** ... and never more than this, however few streams there are (the former fixed high-water mark). */
const MAX_SEND_QUEUE = 64 * KiB;
/** Bun reads up to this much from a socket at once; with the send budget shared out more thinly than this,
 *  sockets feeding streams get their kernel receive buffer capped (socket-buffer.ts). */
const MAX_SOCKET_READ = 512 * KiB;
/** The smallest receive buffer a socket is capped to. */
const MIN_SOCKET_BUFFER = 4 * KiB;
/** Credit is granted in steps of at least this (or what is left of a small target), so updates stay few. */
export const MIN_GRANT = 4 * KiB;

export interface ReceiveBudgetOptions {
  /** The most all streams together may have granted and not consumed. */
  total: number;
  /** The window a stream starts from when the budget is not contended (it may grow from RTT × rate). */
  streamWindow: number;
  maxStreams?: number;
}

export class ReceiveBudget {
  readonly total: number;
  readonly maxStreams: number;
  /** The opening window: credit each stream has before any WINDOW_UPDATE (sent as the HELLO `window`). */
  readonly opening: number;
  /** The window a stream starts from; a stream the window limits grows beyond it from RTT × rate
   *  (window-sizing.ts). May change while the session runs. */
  streamWindow: number;
  private committed = 0;
  private streams = 0;
  private readonly waiting: (() => void)[] = [];
  /** Streams refused credit for want of room while their peer had none left: nothing else would wake them. */
  private readonly starved = new Set<() => void>();
  private retryQueued = false;

  constructor(options: ReceiveBudgetOptions) {
    this.maxStreams = Math.max(1, options.maxStreams ?? MAX_STREAMS);
    this.streamWindow = Math.max(1024, options.streamWindow);
    this.opening = Math.max(
      1024,
      Math.min(OPENING_WINDOW, this.streamWindow, Math.floor(options.total / 2 / this.maxStreams)),
    );
    this.total = Math.max(2 * this.opening * this.maxStreams, options.total);
  }

  /** Streams admitted and not yet gone. */
  get admitted(): number {
    return this.streams;
  }

  /** Bytes granted and not consumed, over every stream. */
  get used(): number {
    return this.committed;
  }

  /** Opens waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Reserve a new stream's opening window. False: `maxStreams` are open (see `whenAdmitted`). */
  tryAdmit(): boolean {
    if (this.waiting.length > 0 || this.streams >= this.maxStreams) return false;
    this.admit();
    return true;
  }

  /** Calls `admitted` (in a microtask) once a slot is free and reserved for it, in order of arrival. Returns a
   *  function that gives up the place in the queue. */
  whenAdmitted(admitted: () => void): () => void {
    this.waiting.push(admitted);
    return () => {
      const at = this.waiting.indexOf(admitted);
      if (at >= 0) this.waiting.splice(at, 1);
    };
  }

  /** The window a receiving stream is aiming for now: its share of the budget, at most its own `window` (the
   *  session's `streamWindow` until the stream's window grew from RTT × rate, window-sizing.ts). */
  target(window = this.streamWindow): number {
    const share = Math.floor(this.total / Math.max(1, this.streams + this.waiting.length));
    return Math.min(window, Math.max(this.opening, share));
  }

  /** How much more credit a stream that holds `exposure` (buffered + outstanding credit) may be granted now:
   *  up to `target`, keeping the opening windows of streams not yet admitted free; 0 when that is too little to
   *  be worth an update. */
  grantable(exposure: number, target = this.target()): number {
    const room = this.total - (this.maxStreams - this.streams) * this.opening - this.committed;
    const n = Math.min(target - exposure, room);
    return n >= Math.min(MIN_GRANT, target) ? n : 0;
  }

  commit(bytes: number): void {
    this.committed += bytes;
  }

  /** Bytes consumed (or dropped): their credit is free again. */
  release(bytes: number): void {
    this.committed -= bytes;
    if (bytes > 0) this.roomFreed();
  }

  /**
   * A stream was refused credit because the budget had no room (other streams hold it) while its peer has no
   * credit left: no data will arrive to make it ask again, so `retry` runs once room is freed (in a microtask,
   * once). Cancel with `stopWaiting`.
   */
  waitForRoom(retry: () => void): void {
    this.starved.add(retry);
  }

  stopWaiting(retry: () => void): void {
    this.starved.delete(retry);
  }

  /** A stream is gone (or an open failed); `exposure` is what it still held. */
  leave(exposure: number): void {
    this.committed -= exposure;
    this.roomFreed();
    this.streams--;
    const next = this.waiting.shift();
    if (next) {
      this.admit();
      queueMicrotask(next);
    }
  }

  private roomFreed(): void {
    if (this.starved.size === 0 || this.retryQueued) return;
    this.retryQueued = true;
    queueMicrotask(() => {
      this.retryQueued = false;
      const retries = [...this.starved];
      this.starved.clear();
      for (const retry of retries) retry();
    });
  }

  private admit(): void {
    this.committed += this.opening;
    this.streams++;
  }
}

/** A stream in the send budget; `capSocket` is set when a socket feeds it. */
export interface SendBudgetMember {
  capSocket: ((bytes: number) => void) | undefined;
}

/** Shares the send budget out as per-stream queue allowances and socket read sizes. */
export class SendBudget {
  private readonly members = new Set<SendBudgetMember>();
  /** The socket buffer last applied to every member; re-applied to all when the share halves. */
  private applied: number | undefined;

  constructor(readonly total: number) {}

  join(member: SendBudgetMember): void {
    this.members.add(member);
    const cap = this.socketBuffer();
    if (cap === undefined || (this.applied !== undefined && cap > this.applied >>> 1)) return;
    // Twice as many streams as when sockets were last capped: shrink every socket's buffer (amortized O(1)).
    this.applied = cap;
    for (const m of this.members) m.capSocket?.(cap);
  }

  leave(member: SendBudgetMember): void {
    this.members.delete(member);
    if (this.socketBuffer() === undefined) this.applied = undefined;
  }

  /** The kernel receive buffer for sockets that feed streams, so that one read is at most about a stream's
   *  share of the send budget (Linux doubles the value); undefined while every stream can take a full read. */
  socketBuffer(): number | undefined {
    const share = Math.floor(this.total / Math.max(1, this.members.size));
    return share >= MAX_SOCKET_READ ? undefined : Math.max(MIN_SOCKET_BUFFER, share >>> 1);
  }

  /** How much one stream may queue before its `write()` reports backpressure. */
  allowance(): number {
    return Math.min(MAX_SEND_QUEUE, Math.max(MIN_SEND_QUEUE, Math.floor(this.total / Math.max(1, this.members.size))));
  }
}
