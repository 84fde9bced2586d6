/**
 * The base of the transports over a Kubernetes channel WebSocket (exec, and port-forward where SPDY cannot pass):
 * each message starts with a channel byte, and what we write goes out on one channel in messages of at most
 * MAX_STDIN_PAYLOAD. Bun's client has no drain event: `send` returns false above the high-water mark, and
 * `onDrain` fires once `bufferedAmount`, polled, fell below a quarter of it.
 */
import { frame, MAX_STDIN_PAYLOAD } from "./exec-protocol";
import { TransportEvents } from "./transport-events";

const DEFAULT_HWM = 1024 * 1024;
const DRAIN_POLL_MS = 2;

export abstract class ChannelSocket extends TransportEvents {
  protected readonly ws: WebSocket;
  readonly #hwm: number;
  #drainTimer: ReturnType<typeof setInterval> | undefined;
  /** `close()` was called: the WebSocket's closing is no failure. */
  protected closedByUs = false;

  constructor(ws: WebSocket, highWaterMark = DEFAULT_HWM) {
    super();
    this.ws = ws;
    this.#hwm = highWaterMark;
    ws.binaryType = "arraybuffer";
  }

  close(): void {
    if (this.closeTold || this.closedByUs) return;
    this.closedByUs = true;
    // What was queued goes out before the Close frame.
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(1000);
  }

  /** Sends `data` on `channel`; false once above the high-water mark (`onDrain` follows). */
  protected send(channel: number, data: Uint8Array): boolean {
    for (let off = 0; off < data.byteLength; off += MAX_STDIN_PAYLOAD)
      this.ws.send(frame(channel, data.subarray(off, off + MAX_STDIN_PAYLOAD)));
    if (this.ws.bufferedAmount <= this.#hwm) return true;
    this.#drainTimer ??= setInterval(() => this.#pollDrain(), DRAIN_POLL_MS);
    return false;
  }

  /** The socket closed: no more drain polling. */
  protected stopDrain(): void {
    clearInterval(this.#drainTimer);
    this.#drainTimer = undefined;
  }

  #pollDrain(): void {
    if (this.ws.readyState !== WebSocket.OPEN || this.ws.bufferedAmount <= this.#hwm / 4) {
      this.stopDrain();
      if (this.ws.readyState === WebSocket.OPEN) this.emitDrain();
    }
  }
}
