/** One representative frame of every type, built with the real encoders; codec and golden tests share them. */
import { Flag, FrameType, ResetReason } from "../../wire/constants";
import { encodeFrame } from "../../wire/codec";
import { encodeCallHead, encodeHello, encodeOpen, encodeReason, encodeU32 } from "../../wire/payloads";

export interface SampleFrame {
  name: string;
  type: number;
  flags: number;
  id: number;
  payload: Buffer;
}

const pingPayload = Buffer.from([0, 0, 0, 0, 0, 0, 0, 7]);

export const SAMPLE_FRAMES: SampleFrame[] = [
  {
    name: "hello",
    type: FrameType.HELLO,
    flags: 0,
    id: 0,
    payload: encodeHello({ version: 1, window: 262144, capabilities: ["call:env"], info: { agentVersion: "0.1.0" } }),
  },
  { name: "open", type: FrameType.OPEN, flags: 0, id: 1, payload: encodeOpen({ host: "db.shop.svc", port: 5432 }) },
  { name: "accept", type: FrameType.ACCEPT, flags: 0, id: 1, payload: Buffer.alloc(0) },
  { name: "data", type: FrameType.DATA, flags: 0, id: 3, payload: Buffer.from("GET / HTTP/1.1\r\n") },
  { name: "data-fin", type: FrameType.DATA, flags: Flag.FIN, id: 3, payload: Buffer.alloc(0) },
  { name: "window-update", type: FrameType.WINDOW_UPDATE, flags: 0, id: 3, payload: encodeU32(65536) },
  {
    name: "reset",
    type: FrameType.RESET,
    flags: 0,
    id: 5,
    payload: encodeReason(ResetReason.REFUSED, "connect ECONNREFUSED"),
  },
  { name: "ping", type: FrameType.PING, flags: 0, id: 0, payload: pingPayload },
  { name: "pong", type: FrameType.PONG, flags: 0, id: 0, payload: pingPayload },
  {
    name: "call",
    type: FrameType.CALL,
    flags: 0,
    id: 9,
    payload: encodeCallHead("resolve", Buffer.from('{"name":"db"}')),
  },
  {
    name: "call-more",
    type: FrameType.CALL,
    flags: Flag.MORE,
    id: 10,
    payload: encodeCallHead("env", Buffer.from("{")),
  },
  { name: "reply", type: FrameType.REPLY, flags: 0, id: 9, payload: Buffer.from('{"addresses":[]}') },
  {
    name: "reply-error",
    type: FrameType.REPLY,
    flags: Flag.ERROR,
    id: 9,
    payload: Buffer.from('{"code":"X","message":"m"}'),
  },
  { name: "goaway", type: FrameType.GOAWAY, flags: 0, id: 0, payload: encodeReason(ResetReason.NORMAL, "bye") },
  // Version 2: an OPEN that names its kind (OPEN_KIND_SINCE).
  {
    name: "open-kind",
    type: FrameType.OPEN,
    flags: 0,
    id: 2,
    payload: encodeOpen({ host: "10.0.0.7", port: 8080 }, "incoming"),
  },
  // Version 3: DATA right behind an OPEN, before its ACCEPT (EARLY_DATA_SINCE); the bytes of each frame are
  // unchanged, only the order is new.
  { name: "open-early", type: FrameType.OPEN, flags: 0, id: 7, payload: encodeOpen({ host: "api", port: 80 }) },
  { name: "data-early", type: FrameType.DATA, flags: 0, id: 7, payload: Buffer.from("GET / HTTP/1.1\r\n\r\n") },
];

export function encodeSample(sample: SampleFrame): Buffer {
  return encodeFrame(sample.type, sample.flags, sample.id, sample.payload);
}
