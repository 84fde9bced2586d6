/**
 * Frame encoding and a streaming decoder. The decoder hands frames to a callback as (type, flags, id, payload)
 * rather than allocating a frame object per frame; payloads are zero-copy views of the input chunk when a frame
 * lies within one chunk. A frame that straddles chunks is copied together, except DATA when `splitData` is
 * set: its payload is only bytes of a stream, so each piece is handed on as it arrives (as DATA without FIN,
 * the last piece with the frame's flags). With 32 KiB frames and 64–128 KiB reads about a third of all bytes
 * straddle; not copying them saves a copy and a short-lived 32 KiB allocation each (docs/wire-protocol.md §10).
 */
import { FRAME_TYPE_NAMES, Flag, FrameType, HEADER_SIZE, MAX_PAYLOAD } from "./constants";
import { wireProtocolError } from "./errors";

/** Writes one frame (header + payload) into `target` at `offset`; returns the offset after it. */
export function writeFrame(
  target: Uint8Array,
  offset: number,
  type: number,
  flags: number,
  streamId: number,
  payload?: Uint8Array,
): number {
  const length = payload?.length ?? 0;
  if (length > MAX_PAYLOAD) throw new RangeError(`frame payload of ${length} bytes exceeds ${MAX_PAYLOAD}`);
  target[offset] = type;
  target[offset + 1] = flags;
  target[offset + 2] = length >>> 8;
  target[offset + 3] = length & 0xff;
  target[offset + 4] = streamId >>> 24;
  target[offset + 5] = (streamId >>> 16) & 0xff;
  target[offset + 6] = (streamId >>> 8) & 0xff;
  target[offset + 7] = streamId & 0xff;
  if (payload && length > 0) target.set(payload, offset + HEADER_SIZE);
  return offset + HEADER_SIZE + length;
}

/** One frame in its own buffer (control frames, tests). The data path writes into batch buffers instead. */
export function encodeFrame(type: number, flags: number, streamId: number, payload?: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(HEADER_SIZE + (payload?.length ?? 0));
  writeFrame(out, 0, type, flags, streamId, payload);
  return out;
}

export type FrameListener = (type: number, flags: number, streamId: number, payload: Buffer) => void;

/** Fixed payload sizes; a frame of these types with another length is garbage. */
const FIXED_LENGTH: Readonly<Record<number, number>> = {
  [FrameType.WINDOW_UPDATE]: 4,
  [FrameType.PING]: 8,
  [FrameType.PONG]: 8,
};

/**
 * Feed it chunks as they arrive, cut anywhere. Throws a KfwdError (KFWD_WIRE_PROTOCOL) on bytes that cannot be
 * a frame; after that the stream is unusable (there is no way to find the next frame boundary).
 */
export class FrameDecoder {
  /** The header of a frame that straddles chunks, until it is complete. */
  private readonly header = Buffer.allocUnsafe(HEADER_SIZE);
  /** A straddling frame's payload, allocated at its exact size once the header is known; handed to the
   *  listener as is (no second copy). */
  private payload: Buffer | undefined;
  /** Payload length of the straddling frame (known once its header is complete). */
  private partialPayloadLength = 0;
  private partialLength = 0;
  private failed: Error | undefined;

  constructor(
    private readonly onFrame: FrameListener,
    private readonly options: { splitData?: boolean } = {},
  ) {}

  /** Bytes held back waiting for the rest of a frame. */
  get pendingBytes(): number {
    return this.partialLength;
  }

  push(input: Uint8Array): void {
    if (this.failed) throw this.failed;
    const chunk = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    try {
      let offset = this.partialLength > 0 ? this.completePartial(chunk) : 0;
      while (offset < chunk.length) {
        const available = chunk.length - offset;
        if (available < HEADER_SIZE) break;
        const length = this.checkHeader(chunk, offset);
        if (available < HEADER_SIZE + length) break;
        const start = offset + HEADER_SIZE;
        offset = start + length;
        this.onFrame(
          chunk[start - 8]!,
          chunk[start - 7]!,
          chunk.readUInt32BE(start - 4),
          chunk.subarray(start, offset),
        );
      }
      if (offset < chunk.length) this.completePartial(chunk.subarray(offset));
    } catch (error) {
      this.failed = error instanceof Error ? error : new Error(String(error));
      throw error;
    }
  }

  /** Adds bytes to the frame being assembled across chunks; returns how many bytes of `chunk` it used. */
  private completePartial(chunk: Buffer): number {
    let used = 0;
    const header = this.header;
    if (this.partialLength < HEADER_SIZE) {
      used = Math.min(HEADER_SIZE - this.partialLength, chunk.length);
      chunk.copy(header, this.partialLength, 0, used);
      this.partialLength += used;
      if (this.partialLength < HEADER_SIZE) return used;
      this.partialPayloadLength = this.checkHeader(header, 0);
      if (!this.splitting()) this.payload = Buffer.allocUnsafe(this.partialPayloadLength);
    }
    const length = this.partialPayloadLength;
    const have = this.partialLength - HEADER_SIZE;
    const take = Math.min(length - have, chunk.length - used);
    const done = have + take === length;
    if (this.splitting()) {
      this.partialLength += take;
      if (done) this.partialLength = 0;
      if (take > 0 || done) {
        const flags = done ? header[1]! : header[1]! & ~Flag.FIN;
        this.onFrame(FrameType.DATA, flags, header.readUInt32BE(4), chunk.subarray(used, used + take));
      }
      return used + take;
    }
    const payload = this.payload!;
    chunk.copy(payload, have, used, used + take);
    this.partialLength += take;
    used += take;
    if (done) {
      this.partialLength = 0;
      this.payload = undefined;
      this.onFrame(header[0]!, header[1]!, header.readUInt32BE(4), payload);
    }
    return used;
  }

  /** The straddling frame (header complete) is DATA delivered in pieces. */
  private splitting(): boolean {
    return this.options.splitData === true && this.header[0] === FrameType.DATA;
  }

  /** Validates the header at `offset`; returns the payload length. */
  private checkHeader(bytes: Buffer, offset: number): number {
    const type = bytes[offset]!;
    const length = bytes.readUInt16BE(offset + 2);
    if (FRAME_TYPE_NAMES[type] === undefined) {
      throw wireProtocolError(`unknown frame type 0x${type.toString(16).padStart(2, "0")}`, bytes.subarray(offset));
    }
    if (length > MAX_PAYLOAD) {
      throw wireProtocolError(
        `${FRAME_TYPE_NAMES[type]} frame of ${length} bytes exceeds ${MAX_PAYLOAD}`,
        bytes.subarray(offset),
      );
    }
    const fixed = FIXED_LENGTH[type];
    if (fixed !== undefined && fixed !== length) {
      throw wireProtocolError(
        `${FRAME_TYPE_NAMES[type]} frame must carry ${fixed} bytes, not ${length}`,
        bytes.subarray(offset),
      );
    }
    return length;
  }
}
