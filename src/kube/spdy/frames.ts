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
 * Splits a byte stream into frames without copying data: a data frame's payload is passed on piece by piece as
 * views of the reads it arrives in (its FIN flag only on the last piece), since its reader does not care where
 * frames end. Control frames are assembled (they are small); one above `maxControl` is refused, so that a broken
 * peer cannot make us buffer without bound.
 */
export class FrameReader {
  readonly #header = new Uint8Array(HEADER);
  #headerHave = 0;
  /** Payload bytes of the current frame still to come (after its header). */
  #left = 0;
  #control: { type: number; flags: number; payload: Uint8Array; have: number } | undefined;
  #data: { streamId: number; flags: number } | undefined;

  constructor(
    private readonly onFrame: (frame: Frame) => void,
    private readonly maxControl = 64 * 1024,
  ) {}

  push(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.byteLength || (this.#headerHave === HEADER && this.#left === 0)) {
      if (this.#headerHave < HEADER) {
        const take = Math.min(HEADER - this.#headerHave, chunk.byteLength - at);
        this.#header.set(chunk.subarray(at, at + take), this.#headerHave);
        this.#headerHave += take;
        at += take;
        if (this.#headerHave < HEADER) return;
        this.#start();
        continue;
      }
      const take = Math.min(this.#left, chunk.byteLength - at);
      const piece = chunk.subarray(at, at + take);
      at += take;
      this.#left -= take;
      const last = this.#left === 0;
      if (this.#data) {
        const { streamId, flags } = this.#data;
        if (take > 0 || last)
          this.onFrame({ kind: "data", streamId, flags: last ? flags : flags & ~FLAG_FIN, data: piece });
      } else if (this.#control) {
        this.#control.payload.set(piece, this.#control.have);
        this.#control.have += take;
        if (last) {
          const { type, flags, payload } = this.#control;
          this.onFrame({ kind: "control", type, flags, payload });
        }
      }
      if (last) {
        this.#headerHave = 0;
        this.#data = undefined;
        this.#control = undefined;
      }
    }
  }

  /** A header is complete: what follows is this frame's payload. */
  #start(): void {
    const view = new DataView(this.#header.buffer);
    const length = view.getUint32(4) & 0xff_ffff;
    const flags = view.getUint8(4);
    this.#left = length;
    if ((view.getUint8(0) & 0x80) === 0) {
      this.#data = { streamId: view.getUint32(0) & 0x7fff_ffff, flags };
      return;
    }
    if (length > this.maxControl) throw new Error(`a control frame of ${length} bytes`);
    this.#control = { type: view.getUint16(2), flags, payload: new Uint8Array(length), have: 0 };
  }
}

/** The stream id at the start of a SYN_REPLY, RST_STREAM, HEADERS or WINDOW_UPDATE payload. */
export function streamIdOf(payload: Uint8Array): number {
  return payload.byteLength >= 4 ? new DataView(payload.buffer, payload.byteOffset, 4).getUint32(0) & 0x7fff_ffff : 0;
}

/** RST_STREAM's status code (after the stream id). */
export function statusOf(payload: Uint8Array): number {
  return payload.byteLength >= 8 ? new DataView(payload.buffer, payload.byteOffset, 8).getUint32(4) : 0;
}
