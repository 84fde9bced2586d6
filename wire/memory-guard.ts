/**
 * Collects garbage early when the process's memory grows. With thousands of streams moving data, every socket
 * and transport read is a fresh buffer, and the collector, paced by the JS heap rather than by those buffers,
 * lets dead ones pile up: ~100 MB beyond what is live in the agent with 2,000 busy streams, enough to reach its
 * container's limit. The check is one RSS read every 250 ms; a collection (a few ms) runs only above the mark.
 */
const CHECK_EVERY_MS = 250;

export function startMemoryGuard(collectAboveRss: number): () => void {
  if (typeof Bun === "undefined" || !(collectAboveRss > 0)) return () => {};
  const timer = setInterval(() => {
    if (process.memoryUsage.rss() > collectAboveRss) Bun.gc(true);
  }, CHECK_EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
