/**
 * SPDY/3.1 framing, as much as a Kubernetes port-forward client needs (the API server and kubelet speak it
 * through github.com/moby/spdystream): opening streams, data with FIN, resets, pings and GOAWAY. spdystream
 * does no flow control, so WINDOW_UPDATE and SETTINGS are read and ignored.
 *
 * Frame layout (big-endian): a control frame is `1 | version(15) | type(16) | flags(8) | length(24) | payload`;
 * a data frame is `0 | stream id(31) | flags(8) | length(24) | data`.
 */

export const SPDY_VERSION = 3;
export const FLAG_FIN = 0x01;
export const FrameKind = {
  SYN_STREAM: 1,
  SYN_REPLY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PING: 6,
  GOAWAY: 7,
  HEADERS: 8,
  WINDOW_UPDATE: 9,
} as const;
/** A data frame's length field is 24 bits. */
export const MAX_DATA_LENGTH = 0xff_ffff;
const HEADER = 8;

function controlFrame(type: number, flags: number, payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(HEADER + payload.byteLength);
  const view = new DataView(frame.buffer);
  view.setUint16(0, 0x8000 | SPDY_VERSION);
  view.setUint16(2, type);
  view.setUint32(4, (flags << 24) | payload.byteLength);
  frame.set(payload, HEADER);
  return frame;
}

/** The 8-byte header of a data frame carrying `length` bytes. */
export function dataFrameHeader(streamId: number, length: number, flags = 0): Uint8Array {
  const header = new Uint8Array(HEADER);
  const view = new DataView(header.buffer);
  view.setUint32(0, streamId & 0x7fff_ffff);
  view.setUint32(4, (flags << 24) | length);
  return header;
}

/** SYN_STREAM opening `streamId` with an already compressed header block (headers.ts). */
export function synStream(streamId: number, headerBlock: Uint8Array, flags = 0): Uint8Array {
  const payload = new Uint8Array(10 + headerBlock.byteLength);
  const view = new DataView(payload.buffer);
  view.setUint32(0, streamId & 0x7fff_ffff);
  view.setUint32(4, 0); // associated stream
  view.setUint16(8, 0); // priority 0 (highest), slot 0
  payload.set(headerBlock, 10);
  return controlFrame(FrameKind.SYN_STREAM, flags, payload);
}

export function rstStream(streamId: number, status: number): Uint8Array {
  const payload = new Uint8Array(8);
  const view = new DataView(payload.buffer);
  view.setUint32(0, streamId & 0x7fff_ffff);
  view.setUint32(4, status);
  return controlFrame(FrameKind.RST_STREAM, 0, payload);
}

export function ping(id: number): Uint8Array {
  const payload = new Uint8Array(4);
  new DataView(payload.buffer).setUint32(0, id);
  return controlFrame(FrameKind.PING, 0, payload);
}

export function goAway(lastGoodStreamId: number): Uint8Array {
  const payload = new Uint8Array(8);
  new DataView(payload.buffer).setUint32(0, lastGoodStreamId & 0x7fff_ffff);
  return controlFrame(FrameKind.GOAWAY, 0, payload);
}

export type Frame =
  | { kind: "data"; streamId: number; flags: number; data: Uint8Array }
  | { kind: "control"; type: number; flags: number; payload: Uint8Array };

/**
 * Splits a byte stream into frames. A data frame's payload is a view of the read it arrived in when the frame
 * fits in it (no copy); frames split across reads are joined. Control frames above `maxControl` are refused,
 * so that a broken peer cannot make us buffer without bound (data frames are at most 16 MiB by their format).
 */
export class FrameReader {
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;

  constructor(
    private readonly onFrame: (frame: Frame) => void,
    private readonly maxControl = 64 * 1024,
  ) {}

  push(chunk: Uint8Array): void {
    let bytes = chunk;
    if (this.#pendingBytes > 0) {
      this.#pending.push(chunk);
      this.#pendingBytes += chunk.byteLength;
      if (this.#pendingBytes < HEADER || this.#pendingBytes < HEADER + lengthOf(this.#peekHeader())) return;
      bytes = Buffer.concat(this.#pending, this.#pendingBytes);
      this.#pending = [];
      this.#pendingBytes = 0;
    }
    let at = 0;
    while (bytes.byteLength - at >= HEADER) {
      const view = new DataView(bytes.buffer, bytes.byteOffset + at, HEADER);
      const length = view.getUint32(4) & 0xff_ffff;
      const control = (view.getUint8(0) & 0x80) !== 0;
      if (control && length > this.maxControl) throw new Error(`a control frame of ${length} bytes`);
      if (bytes.byteLength - at < HEADER + length) break;
      const flags = view.getUint8(4);
      const payload = bytes.subarray(at + HEADER, at + HEADER + length);
      if (control) this.onFrame({ kind: "control", type: view.getUint16(2), flags, payload });
      else this.onFrame({ kind: "data", streamId: view.getUint32(0) & 0x7fff_ffff, flags, data: payload });
      at += HEADER + length;
    }
    if (at < bytes.byteLength) {
      // Keep the rest (a copy: the caller may reuse its buffer) until the frame is complete.
      const rest = Uint8Array.from(bytes.subarray(at));
      this.#pending = [rest];
      this.#pendingBytes = rest.byteLength;
    }
  }

  /** The first 8 bytes of what is pending (only called with at least 8 pending). */
  #peekHeader(): Uint8Array {
    const first = this.#pending[0]!;
    if (first.byteLength >= HEADER) return first;
    const joined = Buffer.concat(this.#pending, this.#pendingBytes);
    this.#pending = [joined];
    return joined;
  }
}

function lengthOf(header: Uint8Array): number {
  return new DataView(header.buffer, header.byteOffset, HEADER).getUint32(4) & 0xff_ffff;
}

/** The stream id at the start of a SYN_REPLY, RST_STREAM, HEADERS or WINDOW_UPDATE payload. */
export function streamIdOf(payload: Uint8Array): number {
  return payload.byteLength >= 4 ? new DataView(payload.buffer, payload.byteOffset, 4).getUint32(0) & 0x7fff_ffff : 0;
}

/** RST_STREAM's status code (after the stream id). */
export function statusOf(payload: Uint8Array): number {
  return payload.byteLength >= 8 ? new DataView(payload.buffer, payload.byteOffset, 8).getUint32(4) : 0;
}
