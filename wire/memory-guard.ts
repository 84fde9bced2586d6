/**
 * Collects garbage early when the process's memory grows. Bun allocates a fresh buffer for every socket and pipe
 * read (kfwd's proxied sockets up to 512 KiB, the agent's stdin up to 256 KiB), so a bulk transfer turns each
 * byte it moves into garbage, and the collector, paced by the JS heap rather than by those buffers, lets tens of
 * MB pile up: 20–30 MB of dead reads in kfwd during one 1 GiB upload, ~100 MB beyond what is live in the agent
 * with 2,000 busy streams, enough to reach its container's limit.
 *
 * One guard per process, whatever the number of sessions: each session reports the bytes it moves
 * (`memoryMoved`), and every CHECK_EVERY_BYTES (at 800 MB/s, ~400 RSS reads a second) and every CHECK_EVERY_MS
 * the RSS is compared with the lowest mark of the running sessions. Above it a collection runs (`Bun.gc(true)`:
 * a full collection that also hands freed allocator pages back to the system, 3–7 ms in a busy process), and the
 * next one only once RSS has grown GARBAGE_STEP past the lowest it was since: a process whose live memory sits
 * above the mark is not collected over and over. One 1 GiB upload costs kfwd ~20–25 collections, ~0.25 CPU-s
 * with the pages handed back faulted in again, for a peak of 77–81 MB instead of ~96 (bench/README.md).
 */
const CHECK_EVERY_MS = 250;
const CHECK_EVERY_BYTES = 2 * 1024 * 1024;
const GARBAGE_STEP = 12 * 1024 * 1024;

export interface MemoryGuard {
  /** A session moved `bytes` (read from or written to its transport). */
  moved(bytes: number): void;
  /** Compare RSS with the mark now (the timer calls it). */
  check(): void;
  /** Guard while a session runs, collecting above `collectAboveRss` bytes of RSS (0: never); returns the
   *  function that stops it. */
  start(collectAboveRss: number): () => void;
}

export interface MemoryGuardOptions {
  rss: () => number;
  collect: () => void;
  /** Checks between reported bytes; the timer is for tests to leave off. */
  timer?: boolean;
}

export function createMemoryGuard(options: MemoryGuardOptions): MemoryGuard {
  /** The marks of the running sessions' guards; the lowest applies. */
  const marks = new Map<symbol, number>();
  let mark = Number.POSITIVE_INFINITY;
  /** The lowest RSS since the last collection (what it left, or less once memory fell); 0 before the first, so
   *  that the first time above the mark collects at once. */
  let low = 0;
  let moved = 0;
  let timer: ReturnType<typeof setInterval> | undefined;

  const check = (): void => {
    const rss = options.rss();
    low = Math.min(low, rss);
    if (rss <= mark || rss <= low + GARBAGE_STEP) return;
    options.collect();
    low = options.rss();
  };

  return {
    check,
    moved(bytes) {
      moved += bytes;
      if (moved < CHECK_EVERY_BYTES || marks.size === 0) return;
      moved = 0;
      check();
    },
    start(collectAboveRss) {
      if (!(collectAboveRss > 0)) return () => {};
      const key = Symbol("session");
      marks.set(key, collectAboveRss);
      mark = Math.min(mark, collectAboveRss);
      if (!timer && options.timer !== false) {
        timer = setInterval(check, CHECK_EVERY_MS);
        timer.unref();
      }
      return () => {
        if (!marks.delete(key)) return;
        mark = Math.min(Number.POSITIVE_INFINITY, ...marks.values());
        if (marks.size > 0) return;
        clearInterval(timer);
        timer = undefined;
        low = 0;
      };
    },
  };
}

/** The process's guard (Bun only: elsewhere there is no `Bun.gc`, and sessions are not guarded). */
const processGuard: MemoryGuard | undefined =
  typeof Bun === "undefined"
    ? undefined
    : createMemoryGuard({ rss: () => process.memoryUsage.rss(), collect: () => Bun.gc(true) });

export function memoryMoved(bytes: number): void {
  processGuard?.moved(bytes);
}

export function startMemoryGuard(collectAboveRss: number): () => void {
  return processGuard?.start(collectAboveRss) ?? (() => {});
}
