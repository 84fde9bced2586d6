/**
 * Sizing a stream's receive window from the measured round trip and delivery rate (docs/wire-protocol.md §5).
 *
 * A sender may have at most one window in flight, so a stream moves at most window ÷ RTT: a stream that
 * delivers more than half a window per round trip while our consumer keeps up is held back by its window (its
 * sender spends its credit and waits for our WINDOW_UPDATE). The receiver measures the delivery rate over each
 * round trip or more (sampled as it sends credit) and grows the window towards 2 × rate × RTT (at most doubling
 * per sample, at most MAX_GROWN_WINDOW). Once the link or the consumer is the limit, the rate stops rising
 * with the window, 2 × rate × RTT stays below it, and so does the window. The session's receive budget still bounds every grant (a stream gets at most its share), so
 * more streams shrink what each is granted without any change here.
 *
 * The RTT is the session's smallest recent ping (mux.ts): the link's own delay, without the queueing that bulk
 * data adds, so the window covers the bandwidth-delay product rather than the queues.
 */

const MiB = 1024 * 1024;

/** The most a stream's window grows to (the receive budget's share may hold it lower). */
export const MAX_GROWN_WINDOW = 32 * MiB;
/** The window aims at this many bandwidth-delay products: headroom for credit still on its way back. */
const BDP_FACTOR = 2;
/** From this RTT on, credit goes back in eighth-window steps instead of half-window ones, so the sender has
 *  seven eighths of a window to send while an update travels (more updates, each still ≥ tens of KiB). Against
 *  quarter steps, at 50 ms: 64 MiB downloads 134–160 → 187–232 MB/s, uploads (the agent's window, held by its
 *  budget to ~12 MiB) 118–127 → 119–142. */
export const LONG_RTT_MS = 5;

export class WindowSizer {
  /** The window grown to so far (0: not grown; the session's starting window applies). */
  private grown = 0;
  /** When the current rate sample started (performance.now() ms), and the bytes received by then. */
  private since: number | undefined;
  private sinceBytes = 0;

  /** `from`: a window already known to suit the link (what an earlier stream on it grew to), so a new stream
   *  does not ramp up again from the session's starting window. */
  constructor(
    private readonly cap = MAX_GROWN_WINDOW,
    from = 0,
  ) {
    this.grown = Math.min(cap, from);
  }

  /** The stream's window: the session's starting window (`base`, which may change while it runs), or more once
   *  grown. */
  window(base: number): number {
    return Math.max(base, this.grown);
  }

  /** Whether a rate sample is running (the stream received data). */
  get sampling(): boolean {
    return this.since !== undefined;
  }

  /** The first data arrived (`received` bytes so far, at `now`): the first rate sample starts. */
  start(received: number, now: number): void {
    this.since = now;
    this.sinceBytes = received;
  }

  /**
   * We are granting credit while our consumer keeps up. With a round trip or more since the sample started, the
   * rate since then decides: the window grows to 2 × rate × RTT if that is more (at most doubling it), and a new
   * sample starts. Returns the window to aim for.
   */
  sample(received: number, now: number, rttMs: number | undefined, base: number): number {
    const window = this.window(base);
    if (rttMs === undefined || rttMs <= 0 || this.since === undefined) return window;
    const elapsed = now - this.since;
    if (elapsed < rttMs) return window;
    const rate = (received - this.sinceBytes) / elapsed; // bytes per ms
    const wanted = Math.min(2 * window, this.cap, Math.ceil(BDP_FACTOR * rate * rttMs));
    if (wanted > window) this.grown = wanted;
    this.since = now;
    this.sinceBytes = received;
    return this.window(base);
  }
}

/** Credit goes back once this much of the target window is owed (or earlier, when the sender is nearly out). */
export function creditStep(target: number, rttMs: number | undefined): number {
  return rttMs !== undefined && rttMs >= LONG_RTT_MS ? target >>> 3 : target >>> 1;
}
