/**
 * SPDY framing for the port-forward link: header blocks a real zlib reader decodes block by block (as the
 * server's persistent reader does), and frames reassembled however the socket splits them.
 */
import { describe, expect, test } from "bun:test";
import { constants, createInflate } from "node:zlib";
import {
  dataFrameHeader,
  FLAG_FIN,
  type Frame,
  FrameKind,
  FrameReader,
  goAway,
  ping,
  rstStream,
  statusOf,
  streamIdOf,
  synStream,
} from "../../src/kube/spdy/frames";
import { encodeNameValues, HeaderBlockWriter } from "../../src/kube/spdy/headers";

/** Feeds blocks one at a time to one zlib stream and collects what each yields once flushed. */
async function inflateEach(blocks: Uint8Array[]): Promise<Buffer[]> {
  const inflate = createInflate({ finishFlush: constants.Z_SYNC_FLUSH });
  const out: Buffer[] = [];
  for (const block of blocks) {
    const chunks: Buffer[] = [];
    const onData = (c: Buffer) => chunks.push(c);
    inflate.on("data", onData);
    inflate.write(block);
    await new Promise<void>((resolve) => inflate.flush(constants.Z_SYNC_FLUSH, () => resolve()));
    inflate.off("data", onData);
    out.push(Buffer.concat(chunks));
  }
  inflate.destroy();
  return out;
}

describe("SPDY header blocks", () => {
  test("each block decodes, on its own, from one continuing zlib stream without a dictionary", async () => {
    const writer = new HeaderBlockWriter();
    const first = { streamType: "error", port: "8080", requestID: "0" };
    const second = { streamType: "data", port: "8080", requestID: "0" };
    const decoded = await inflateEach([writer.block(first), writer.block(second)]);
    expect(decoded[0]).toEqual(Buffer.from(encodeNameValues(first)));
    expect(decoded[1]).toEqual(Buffer.from(encodeNameValues(second)));
  });

  test("names are lowercase, counts and lengths 32-bit", () => {
    const raw = Buffer.from(encodeNameValues({ streamType: "data" }));
    expect(raw.readUInt32BE(0)).toBe(1);
    expect(raw.readUInt32BE(4)).toBe(10);
    expect(raw.subarray(8, 18).toString()).toBe("streamtype");
    expect(raw.readUInt32BE(18)).toBe(4);
    expect(raw.subarray(22).toString()).toBe("data");
  });
});

describe("SPDY frames", () => {
  const frames = (): Uint8Array =>
    Buffer.concat([
      synStream(1, new Uint8Array([1, 2, 3]), FLAG_FIN),
      dataFrameHeader(3, 5),
      Buffer.from("hello"),
      dataFrameHeader(3, 0, FLAG_FIN),
      rstStream(3, 5),
      ping(7),
      goAway(3),
    ]);

  /** What a reader sees: control frames in order, and each stream's data with where it ended (FIN). */
  const read = (chunks: Uint8Array[]): string[] => {
    const seen: string[] = [];
    const reader = new FrameReader((f: Frame) => {
      if (f.kind === "control") {
        const id = f.type === FrameKind.PING ? "" : ` stream ${streamIdOf(f.payload)}`;
        const status = f.type === FrameKind.RST_STREAM ? ` status ${statusOf(f.payload)}` : "";
        seen.push(`control ${f.type}${id}${status}`);
        return;
      }
      const last = seen.at(-1);
      const text = Buffer.from(f.data).toString();
      if (last?.startsWith(`data ${f.streamId}:`) && !last.endsWith(" FIN")) seen[seen.length - 1] = last + text;
      else seen.push(`data ${f.streamId}:${text}`);
      if (f.flags & FLAG_FIN) seen[seen.length - 1] += " FIN";
    });
    for (const c of chunks) reader.push(c);
    return seen;
  };

  test("frames come out in order however the bytes are split; data as views, FIN only at a frame's end", () => {
    const bytes = frames();
    const whole = read([bytes]);
    expect(whole).toEqual([
      `control ${FrameKind.SYN_STREAM} stream 1`,
      "data 3:hello FIN",
      `control ${FrameKind.RST_STREAM} stream 3 status 5`,
      `control ${FrameKind.PING}`,
      `control ${FrameKind.GOAWAY} stream 3`,
    ]);
    for (let size = 1; size <= 9; size++) {
      const chunks: Uint8Array[] = [];
      for (let at = 0; at < bytes.byteLength; at += size) chunks.push(bytes.slice(at, at + size));
      expect(read(chunks)).toEqual(whole);
    }
  });

  test("a control frame larger than the reader allows is refused, not buffered", () => {
    const big = synStream(1, new Uint8Array(100 * 1024));
    const reader = new FrameReader(() => {});
    expect(() => reader.push(big.subarray(0, 16))).toThrow(/control frame of/);
  });
});
