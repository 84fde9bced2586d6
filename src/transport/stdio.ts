/**
 * A Transport over a child process's stdin/stdout: a node `child_process` child, or a `Bun.spawn` child
 * started with stdin/stdout "pipe". Backpressure is passed through: `write` returns false while the pipe to the
 * child is full, and `onDrain` fires when it empties.
 */
import type { ChildProcess } from "node:child_process";
import type { Transport } from "../../wire/transport";
import { streamTransport } from "../../wire/stream-transport";

/** The parts of a Bun.spawn subprocess we use. */
interface BunChild {
  stdin: { write(data: Uint8Array): number | Promise<number>; flush(): number | Promise<number>; end(): unknown };
  stdout: ReadableStream<Uint8Array>;
  exited: Promise<number>;
}

export function stdioTransport(child: ChildProcess | BunChild): Transport {
  if (isNodeChild(child)) {
    if (!child.stdin || !child.stdout)
      throw new Error("stdioTransport needs a child spawned with stdin and stdout as pipes");
    return streamTransport(child.stdout, child.stdin);
  }
  return bunChildTransport(child);
}

function isNodeChild(child: ChildProcess | BunChild): child is ChildProcess {
  return typeof (child as ChildProcess).kill === "function" && typeof (child as ChildProcess).on === "function";
}

function bunChildTransport(child: BunChild): Transport {
  const dataListeners: ((data: Uint8Array) => void)[] = [];
  const drainListeners: (() => void)[] = [];
  const closeListeners: ((error?: Error) => void)[] = [];
  let closed = false;
  let flushing: Promise<unknown> | undefined;
  const close = (error?: Error): void => {
    if (closed) return;
    closed = true;
    for (const listener of closeListeners.splice(0)) listener(error);
  };
  const reader = child.stdout.getReader();
  void (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        for (const listener of dataListeners) listener(value);
      }
      close();
    } catch (error) {
      close(error as Error);
    }
  })();
  return {
    write(data) {
      if (closed) return false;
      // FileSink buffers without limit; a write or flush that returns a promise means the pipe is full: that
      // is our backpressure signal, and its settling is the drain.
      const written = child.stdin.write(data);
      const pending = written instanceof Promise ? written : child.stdin.flush();
      if (!(pending instanceof Promise)) return flushing === undefined;
      if (!flushing) {
        flushing = pending.then(
          () => {
            flushing = undefined;
            for (const listener of drainListeners) listener();
          },
          (error: unknown) => close(error as Error),
        );
      }
      return false;
    },
    onData: (listener) => void dataListeners.push(listener),
    onDrain: (listener) => void drainListeners.push(listener),
    onClose: (listener) => (closed ? listener() : void closeListeners.push(listener)),
    close() {
      try {
        child.stdin.end();
      } catch {
        // already closed
      }
      void reader.cancel().catch(() => {});
      close();
    },
  };
}
