/**
 * Payload layouts of the control frames (docs/wire-protocol.md has the tables). Variable-length fields carry a
 * length prefix so a later version can append fields after them; readers ignore bytes past the fields they know.
 */
import { HELLO_MAGIC } from "./constants";
import { wireProtocolError } from "./errors";

export interface HelloPayload {
  version: number;
  /** The receive window the sender grants each new stream. */
  window: number;
  capabilities: string[];
  info: Record<string, string>;
}

/** magic u32 | version u16 | window u32 | JSON { capabilities, info } */
export function encodeHello(hello: HelloPayload): Buffer {
  const json = Buffer.from(JSON.stringify({ capabilities: hello.capabilities, info: hello.info }));
  const out = Buffer.allocUnsafe(10 + json.length);
  out.writeUInt32BE(HELLO_MAGIC, 0);
  out.writeUInt16BE(hello.version, 4);
  out.writeUInt32BE(hello.window, 6);
  json.copy(out, 10);
  return out;
}

export function decodeHello(payload: Buffer): HelloPayload {
  if (payload.length < 10 || payload.readUInt32BE(0) !== HELLO_MAGIC)
    throw wireProtocolError("expected HELLO", payload);
  let rest: { capabilities?: unknown; info?: unknown };
  try {
    rest = JSON.parse(payload.toString("utf8", 10)) as typeof rest;
  } catch {
    throw wireProtocolError("HELLO carries malformed JSON", payload);
  }
  const capabilities = Array.isArray(rest.capabilities) ? rest.capabilities.filter((c) => typeof c === "string") : [];
  const info: Record<string, string> = {};
  if (rest.info && typeof rest.info === "object") {
    for (const [k, v] of Object.entries(rest.info)) if (typeof v === "string") info[k] = v;
  }
  return { version: payload.readUInt16BE(4), window: payload.readUInt32BE(6), capabilities, info };
}

export interface OpenDestination {
  host: string;
  port: number;
}

/**
 * What a stream is for. "dial" (the default, and all version 1 knows) asks the receiver to connect to the
 * destination; other kinds name the capability that asked for the stream (e.g. an incoming connection the
 * agent hands to the host), and the destination then describes the stream rather than where to dial.
 */
export const DIAL_KIND = "dial";

export interface OpenRequest extends OpenDestination {
  kind: string;
}

/**
 * port u16 | host length u8 | host (UTF-8) — and since version 2 (OPEN_KIND_SINCE), when the kind is not
 * "dial": kind length u8 | kind (ASCII). A reader that finds no kind reads "dial".
 */
export function encodeOpen(target: OpenDestination, kind: string = DIAL_KIND): Buffer {
  const host = Buffer.from(target.host);
  if (host.length > 255) throw new RangeError(`host name of ${host.length} bytes is longer than 255`);
  const kindBytes = kind === DIAL_KIND ? undefined : Buffer.from(kind, "latin1");
  if (kindBytes && (kindBytes.length === 0 || kindBytes.length > 255))
    throw new RangeError(`bad stream kind "${kind}"`);
  const out = Buffer.allocUnsafe(3 + host.length + (kindBytes ? 1 + kindBytes.length : 0));
  out.writeUInt16BE(target.port, 0);
  out[2] = host.length;
  host.copy(out, 3);
  if (kindBytes) {
    out[3 + host.length] = kindBytes.length;
    kindBytes.copy(out, 4 + host.length);
  }
  return out;
}

export function decodeOpen(payload: Buffer): OpenRequest {
  const hostLength = payload[2];
  if (hostLength === undefined || payload.length < 3 + hostLength)
    throw wireProtocolError("OPEN is truncated", payload);
  const open = { port: payload.readUInt16BE(0), host: payload.toString("utf8", 3, 3 + hostLength), kind: DIAL_KIND };
  const kindLength = payload[3 + hostLength];
  if (kindLength !== undefined) {
    if (kindLength === 0 || payload.length < 4 + hostLength + kindLength)
      throw wireProtocolError("OPEN's kind is truncated", payload);
    open.kind = payload.toString("latin1", 4 + hostLength, 4 + hostLength + kindLength);
  }
  return open;
}

/** RESET and GOAWAY: reason u8 | message length u16 | message (UTF-8, diagnostic only) */
export function encodeReason(reason: number, message = ""): Buffer {
  const text = Buffer.from(message.slice(0, 1000));
  const out = Buffer.allocUnsafe(3 + text.length);
  out[0] = reason;
  out.writeUInt16BE(text.length, 1);
  text.copy(out, 3);
  return out;
}

export function decodeReason(payload: Buffer): { reason: number; message: string } {
  if (payload.length < 3) throw wireProtocolError("RESET/GOAWAY is truncated", payload);
  const length = Math.min(payload.readUInt16BE(1), payload.length - 3);
  return { reason: payload[0]!, message: payload.toString("utf8", 3, 3 + length) };
}

export function encodeU32(value: number): Buffer {
  const out = Buffer.allocUnsafe(4);
  out.writeUInt32BE(value, 0);
  return out;
}

/** First CALL frame: method length u8 | method (ASCII) | body. Later frames (flag MORE before) carry body only. */
export function encodeCallHead(method: string, body: Buffer): Buffer {
  const name = Buffer.from(method);
  if (name.length > 255) throw new RangeError(`method name "${method}" is too long`);
  const out = Buffer.allocUnsafe(1 + name.length + body.length);
  out[0] = name.length;
  name.copy(out, 1);
  body.copy(out, 1 + name.length);
  return out;
}

export function decodeCallHead(body: Buffer): { method: string; body: Buffer } {
  const length = body[0];
  if (length === undefined || body.length < 1 + length) throw wireProtocolError("CALL is truncated", body);
  return { method: body.toString("latin1", 1, 1 + length), body: body.subarray(1 + length) };
}
