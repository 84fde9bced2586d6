/**
 * SPDY/3 name/value header blocks. Each block is part of one zlib stream per connection and direction. The
 * receiver's zlib reader accepts any valid stream, and uses SPDY's preset dictionary only when the stream's
 * header asks for it; so we send ours uncompressed, as zlib "stored" blocks without a dictionary: a few dozen
 * bytes per port-forward connection, and no compressor state to keep. The blocks the server sends us are
 * never decoded: a port-forward client needs only to know that a stream was answered.
 */

/** zlib stream header: deflate, 32 KiB window, no preset dictionary, (0x78 × 256 + 0x01) % 31 === 0. */
const ZLIB_HEADER = [0x78, 0x01];
const MAX_STORED = 0xffff;
/** An empty stored block, as zlib's Z_SYNC_FLUSH ends its output with: the reader hands over what it decoded
 *  when it meets one, without reading on into the next frame (which would fail it for good). */
const SYNC_FLUSH = [0x00, 0x00, 0x00, 0xff, 0xff];

export class HeaderBlockWriter {
  #started = false;

  /** The next block: the headers as one stored block, then a sync flush. */
  block(headers: Record<string, string>): Uint8Array {
    const raw = encodeNameValues(headers);
    if (raw.byteLength > MAX_STORED) throw new Error("SPDY header block too large");
    const prefix = this.#started ? [] : ZLIB_HEADER;
    this.#started = true;
    const out = new Uint8Array(prefix.length + 5 + raw.byteLength + SYNC_FLUSH.length);
    out.set(prefix, 0);
    const at = prefix.length;
    // BFINAL = 0, BTYPE = 00 (stored), then LEN and its one's complement, little-endian.
    out[at] = 0x00;
    out[at + 1] = raw.byteLength & 0xff;
    out[at + 2] = raw.byteLength >>> 8;
    out[at + 3] = ~raw.byteLength & 0xff;
    out[at + 4] = (~raw.byteLength >>> 8) & 0xff;
    out.set(raw, at + 5);
    out.set(SYNC_FLUSH, at + 5 + raw.byteLength);
    return out;
  }
}

/** The uncompressed block: a 32-bit count, then each name and value with a 32-bit length (names lowercase). */
export function encodeNameValues(headers: Record<string, string>): Uint8Array {
  const text = new TextEncoder();
  const pairs = Object.entries(headers).map(([name, value]) => [text.encode(name.toLowerCase()), text.encode(value)]);
  const size = 4 + pairs.reduce((n, [name, value]) => n + 8 + name!.byteLength + value!.byteLength, 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, pairs.length);
  let at = 4;
  for (const [name, value] of pairs) {
    view.setUint32(at, name!.byteLength);
    out.set(name!, at + 4);
    at += 4 + name!.byteLength;
    view.setUint32(at, value!.byteLength);
    out.set(value!, at + 4);
    at += 4 + value!.byteLength;
  }
  return out;
}
