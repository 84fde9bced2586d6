/**
 * SOCKS5 messages (RFC 1928) and username/password sub-negotiation (RFC 1929), parsed from the front of a buffer.
 * Each parser returns undefined while the message is incomplete, { value, size } once it is whole, and throws
 * SocksParseError on bytes no conforming client sends.
 */
import { formatIpv6 } from "./ip";

export const SOCKS_VERSION = 0x05;
export const USERPASS_VERSION = 0x01;

export const METHOD = { noAuth: 0x00, userPass: 0x02, noAcceptable: 0xff } as const;
export const COMMAND = { connect: 0x01, bind: 0x02, udpAssociate: 0x03 } as const;
export const ATYP = { ipv4: 0x01, domain: 0x03, ipv6: 0x04 } as const;
export const REPLY = {
  succeeded: 0x00,
  generalFailure: 0x01,
  notAllowed: 0x02,
  networkUnreachable: 0x03,
  hostUnreachable: 0x04,
  connectionRefused: 0x05,
  ttlExpired: 0x06,
  commandNotSupported: 0x07,
  addressTypeNotSupported: 0x08,
} as const;
export const USERPASS_STATUS = { success: 0x00, failure: 0x01 } as const;

/** Largest message of the handshake (RFC 1929: 1 + 1 + 255 + 1 + 255); used to bound what is buffered. */
export const MAX_HANDSHAKE_MESSAGE = 513;

export class SocksParseError extends Error {
  /** The reply to send before closing, when the protocol has one for this case. */
  constructor(
    message: string,
    readonly reply?: number,
  ) {
    super(message);
  }
}

export interface Parsed<T> {
  value: T;
  size: number;
}

export function parseGreeting(buf: Uint8Array): Parsed<{ methods: Uint8Array }> | undefined {
  if (buf.length < 1) return undefined;
  if (buf[0] !== SOCKS_VERSION) throw new SocksParseError(`not SOCKS5 (first byte 0x${buf[0]!.toString(16)})`);
  if (buf.length < 2) return undefined;
  const size = 2 + buf[1]!;
  if (buf.length < size) return undefined;
  return { value: { methods: buf.subarray(2, size) }, size };
}

export function parseUserPass(buf: Uint8Array): Parsed<{ username: Uint8Array; password: Uint8Array }> | undefined {
  if (buf.length < 1) return undefined;
  if (buf[0] !== USERPASS_VERSION) throw new SocksParseError(`bad auth version 0x${buf[0]!.toString(16)}`);
  if (buf.length < 2) return undefined;
  const ulen = buf[1]!;
  if (buf.length < 3 + ulen) return undefined;
  const plen = buf[2 + ulen]!;
  const size = 3 + ulen + plen;
  if (buf.length < size) return undefined;
  return { value: { username: buf.subarray(2, 2 + ulen), password: buf.subarray(3 + ulen, size) }, size };
}

export interface SocksRequest {
  command: number;
  host: string;
  port: number;
}

/** A name the client asks the proxy to resolve: printable ASCII without spaces (IDNs arrive as punycode). */
const DOMAIN = /^[\x21-\x7e]+$/;

export function parseRequest(buf: Uint8Array): Parsed<SocksRequest> | undefined {
  if (buf.length < 1) return undefined;
  if (buf[0] !== SOCKS_VERSION) throw new SocksParseError(`bad request version 0x${buf[0]!.toString(16)}`);
  if (buf.length < 5) return undefined;
  const command = buf[1]!;
  let host: string;
  let addrEnd: number;
  switch (buf[3]) {
    case ATYP.ipv4:
      addrEnd = 8;
      if (buf.length < addrEnd + 2) return undefined;
      host = buf.subarray(4, 8).join(".");
      break;
    case ATYP.ipv6:
      addrEnd = 20;
      if (buf.length < addrEnd + 2) return undefined;
      host = formatIpv6(buf.subarray(4, 20));
      break;
    case ATYP.domain: {
      addrEnd = 5 + buf[4]!;
      if (buf.length < addrEnd + 2) return undefined;
      host = Buffer.from(buf.buffer, buf.byteOffset + 5, addrEnd - 5).toString("latin1");
      if (!DOMAIN.test(host)) throw new SocksParseError("bad domain name", REPLY.generalFailure);
      break;
    }
    default:
      throw new SocksParseError(`address type 0x${buf[3]!.toString(16)}`, REPLY.addressTypeNotSupported);
  }
  const port = (buf[addrEnd]! << 8) | buf[addrEnd + 1]!;
  return { value: { command, host, port }, size: addrEnd + 2 };
}

/**
 * A reply. BND.ADDR/BND.PORT are 0.0.0.0:0: the outgoing connection is made by the agent (or a test dialer),
 * so no address of ours means anything to the client, and clients doing CONNECT ignore it.
 */
export function encodeReply(reply: number): Uint8Array {
  return Uint8Array.of(SOCKS_VERSION, reply, 0x00, ATYP.ipv4, 0, 0, 0, 0, 0, 0);
}
