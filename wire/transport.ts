/**
 * A duplex byte stream that carries the wire protocol: a child process's stdio (local target),
 * the agent's own stdin/stdout, or a Kubernetes exec WebSocket. Chunk boundaries carry no meaning.
 */
export interface Transport {
  /** Queue bytes for the peer. Returns false once the transport's buffer is above its high-water mark;
   *  the caller should then wait for `onDrain` before writing more. `onWritten`, if the transport supports it,
   *  is called once it no longer holds `data`, which the caller may then reuse; a transport that cannot tell
   *  never calls it (the caller then allocates a new buffer each time). */
  write(data: Uint8Array, onWritten?: () => void): boolean;
  /** Bytes from the peer, in order. */
  onData(listener: (data: Uint8Array) => void): void;
  /** Called after `write` returned false, once the transport accepts more. */
  onDrain(listener: () => void): void;
  /** Called once when the stream ends or fails; `error` is set if it failed. */
  onClose(listener: (error?: Error) => void): void;
  /** Close the stream (flushes what was written where the underlying stream allows). */
  close(): void;
}
