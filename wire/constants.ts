/**
 * Numbers of the wire protocol (docs/wire-protocol.md). Ids are append-only: a value, once released, never
 * changes meaning; new ones are added at the end and only sent after the HELLO settled on a version (or a
 * capability) that knows them.
 */

/** type u8 | flags u8 | payload length u16 | stream id u32, all big-endian. */
export const HEADER_SIZE = 8;

/** The exec path carries our bytes in WebSocket frames through the API server and kubelet; small frames keep
 *  those hops from buffering and let a small request overtake a bulk transfer within one frame's time. */
export const MAX_PAYLOAD = 32 * 1024;

export const FrameType = {
  HELLO: 1,
  OPEN: 2,
  ACCEPT: 3,
  DATA: 4,
  WINDOW_UPDATE: 5,
  RESET: 6,
  PING: 7,
  PONG: 8,
  CALL: 9,
  REPLY: 10,
  GOAWAY: 11,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

export const FRAME_TYPE_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(FrameType).map(([name, id]) => [id, name]),
);

/** Flag bits. A bit means something only for the frame types listed; receivers ignore bits they do not know. */
export const Flag = {
  /** DATA: the sender will send no more data on this stream (half-close). */
  FIN: 0x01,
  /** CALL, REPLY: the body continues in the next frame of the same type and id. */
  MORE: 0x02,
  /** REPLY: the body is an error `{ code, message, hint? }`. */
  ERROR: 0x04,
} as const;

/** Why a stream was reset (RESET) or a session ended (GOAWAY). Unknown values are read as FAILED. */
export const ResetReason = {
  NORMAL: 0,
  REFUSED: 1,
  UNREACHABLE: 2,
  NAME_NOT_FOUND: 3,
  TIMEOUT: 4,
  PROTOCOL_ERROR: 5,
  CANCELLED: 6,
  FAILED: 7,
  FLOW_CONTROL: 8,
  CONNECTION_RESET: 9,
  IDLE: 10,
} as const;
export type ResetReason = (typeof ResetReason)[keyof typeof ResetReason];

export const RESET_REASON_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(ResetReason).map(([name, id]) => [id, name.toLowerCase().replace(/_/g, " ")]),
);

/** The most credit one stream is granted by default (when the session's receive budget is not contended):
 *  8 full frames in flight cover a WebSocket hop's bandwidth-delay product on a LAN. Streams start smaller
 *  (budget.ts OPENING_WINDOW) and grow to this by WINDOW_UPDATE. */
export const DEFAULT_STREAM_WINDOW = 256 * 1024;
/** Credit may never exceed this (it must fit an i32 on every implementation). */
export const MAX_WINDOW = 0x7fff_ffff;

/** A CALL or REPLY body is reassembled in memory; past this the peer is misbehaving. */
export const MAX_CALL_BODY = 16 * 1024 * 1024;

/** First bytes of a HELLO payload: lets a peer tell our protocol from stray output (a shell banner, an error). */
export const HELLO_MAGIC = 0x4b465744; // "KFWD"
