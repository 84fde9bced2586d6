/**
 * The agent's end of the wire: its own stdin/stdout. When started by the bootstrap loader, the loader has
 * already read past the bundle and may hold the first protocol bytes; they arrive here as `leftover` and are
 * delivered before anything else read from stdin.
 */
import type { Transport } from "../wire/transport";
import { streamTransport } from "../wire/stream-transport";

export function processTransport(leftover?: Uint8Array): Transport {
  const base = streamTransport(process.stdin, process.stdout);
  return {
    ...base,
    onData(listener) {
      // Deliver on a microtask, not inside the Mux constructor that registers us.
      queueMicrotask(() => {
        if (leftover && leftover.length > 0) listener(leftover);
        base.onData(listener);
        process.stdin.resume(); // the loader paused stdin when it handed over
      });
    },
  };
}
