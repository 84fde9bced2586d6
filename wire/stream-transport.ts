/**
 * A Transport over a node Readable (bytes in) and Writable (bytes out): a child's stdout/stdin on the host,
 * or process.stdin/stdout in the agent. `write` passes the Writable's backpressure through unchanged.
 */
import type { Readable, Writable } from "node:stream";
import type { Transport } from "./transport";

export function streamTransport(input: Readable, output: Writable, options: { onEnd?: () => void } = {}): Transport {
  const closeListeners: ((error?: Error) => void)[] = [];
  let closed = false;
  const close = (error?: Error): void => {
    if (closed) return;
    closed = true;
    for (const listener of closeListeners.splice(0)) listener(error);
  };
  input.once("end", () => {
    options.onEnd?.();
    close();
  });
  input.once("error", (error) => close(error));
  input.once("close", () => close());
  // A write after the peer went away fails with EPIPE; the input side reports the end.
  output.on("error", (error) => close(error));
  return {
    // Writable calls back once the chunk is handed to the OS (or failed): either way it holds no reference.
    write: (data, onWritten) =>
      closed || output.destroyed ? false : output.write(data, onWritten && (() => onWritten())),
    onData: (listener) => input.on("data", listener),
    onDrain: (listener) => output.on("drain", listener),
    onClose: (listener) => (closed ? listener() : closeListeners.push(listener)),
    close: () => {
      if (!output.writableEnded) output.end();
      close();
      input.destroy();
    },
  };
}
