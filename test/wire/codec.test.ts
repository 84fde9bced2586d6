import { describe, expect, test } from "bun:test";
import { FrameDecoder, encodeFrame } from "../../wire/codec";
import { FrameType, HEADER_SIZE, MAX_PAYLOAD } from "../../wire/constants";
import { decodeCallHead, decodeHello, decodeOpen, decodeReason, encodeHello, encodeOpen } from "../../wire/payloads";
import { KfwdError } from "../../src/errors";
import { SAMPLE_FRAMES, encodeSample } from "./samples";

interface Decoded {
  type: number;
  flags: number;
  id: number;
  payload: Buffer;
}

function collect(): { decoder: FrameDecoder; frames: Decoded[] } {
  const frames: Decoded[] = [];
  const decoder = new FrameDecoder((type, flags, id, payload) =>
    frames.push({ type, flags, id, payload: Buffer.from(payload) }),
  );
  return { decoder, frames };
}

describe("frame codec", () => {
  test("every frame type round-trips", () => {
    const { decoder, frames } = collect();
    decoder.push(Buffer.concat(SAMPLE_FRAMES.map(encodeSample)));
    expect(frames.map((f) => [f.type, f.flags, f.id, f.payload.toString("hex")])).toEqual(
      SAMPLE_FRAMES.map((s) => [s.type, s.flags, s.id, s.payload.toString("hex")]),
    );
    expect(new Set(SAMPLE_FRAMES.map((s) => s.type)).size).toBe(Object.keys(FrameType).length);
    expect(decoder.pendingBytes).toBe(0);
  });

  test("payload encoders round-trip", () => {
    const hello = { version: 7, window: 1234, capabilities: ["a", "call:x"], info: { pid: "1" } };
    expect(decodeHello(encodeHello(hello))).toEqual(hello);
    expect(decodeOpen(encodeOpen({ host: "::1", port: 65535 }))).toEqual({ host: "::1", port: 65535, kind: "dial" });
    expect(decodeOpen(encodeOpen({ host: "10.0.0.7", port: 80 }, "incoming"))).toEqual({
      host: "10.0.0.7",
      port: 80,
      kind: "incoming",
    });
    const call = SAMPLE_FRAMES.find((s) => s.name === "call")!;
    expect(decodeCallHead(call.payload).method).toBe("resolve");
    expect(decodeReason(SAMPLE_FRAMES.find((s) => s.name === "reset")!.payload)).toEqual({
      reason: 1,
      message: "connect ECONNREFUSED",
    });
  });

  test("byte-by-byte feeding asks for more until a frame is complete", () => {
    const { decoder, frames } = collect();
    const all = Buffer.concat(SAMPLE_FRAMES.map(encodeSample));
    for (let i = 0; i < all.length; i++) decoder.push(all.subarray(i, i + 1));
    expect(frames.length).toBe(SAMPLE_FRAMES.length);
    expect(frames.map((f) => f.payload.toString("hex"))).toEqual(SAMPLE_FRAMES.map((s) => s.payload.toString("hex")));
  });

  test("frames cut at every possible offset and a maximal frame decode", () => {
    const big = encodeFrame(FrameType.DATA, 0, 1, Buffer.alloc(MAX_PAYLOAD, 0xab));
    const all = Buffer.concat([encodeSample(SAMPLE_FRAMES[1]!), big, encodeSample(SAMPLE_FRAMES[3]!)]);
    for (const cut of [1, 7, 8, 9, 20, HEADER_SIZE + 100, all.length - 5]) {
      const { decoder, frames } = collect();
      decoder.push(all.subarray(0, cut));
      decoder.push(all.subarray(cut));
      expect(frames.length).toBe(3);
      expect(frames[1]!.payload.length).toBe(MAX_PAYLOAD);
    }
  });

  test("with splitData, a DATA frame cut across chunks arrives in pieces without copies, FIN on the last", () => {
    const payload = Buffer.alloc(MAX_PAYLOAD);
    for (let i = 0; i < payload.length; i++) payload[i] = i & 0xff;
    const data = encodeFrame(FrameType.DATA, 0x01, 5, payload);
    const all = Buffer.concat([
      encodeSample(SAMPLE_FRAMES[1]!),
      data,
      encodeFrame(FrameType.DATA, 0x01, 7),
      encodeSample(SAMPLE_FRAMES[5]!),
    ]);
    for (const cuts of [
      [3],
      [HEADER_SIZE + 20],
      [40, 41, 5000, 20000],
      [all.length - HEADER_SIZE - 20],
      Array.from({ length: 200 }, (_, i) => i * 171),
    ]) {
      const frames: Decoded[] = [];
      const decoder = new FrameDecoder(
        (type, flags, id, p) => frames.push({ type, flags, id, payload: Buffer.from(p) }),
        { splitData: true },
      );
      let at = 0;
      for (const cut of [...cuts, all.length]) {
        decoder.push(all.subarray(at, cut));
        at = cut;
      }
      const pieces = frames.filter((f) => f.type === FrameType.DATA && f.id === 5);
      expect(Buffer.concat(pieces.map((f) => f.payload)).equals(payload)).toBe(true);
      expect(pieces.map((f) => f.flags & 0x01)).toEqual([...pieces.slice(1).map(() => 0), 1]);
      expect(pieces.every((f) => f.payload.length > 0)).toBe(true);
      const empty = frames.filter((f) => f.id === 7);
      expect(empty.map((f) => [f.flags, f.payload.length])).toEqual([[1, 0]]);
      expect(frames.filter((f) => f.type !== FrameType.DATA).length).toBe(2);
      expect(decoder.pendingBytes).toBe(0);
    }
  });

  test("an incomplete frame is held, not emitted", () => {
    const { decoder, frames } = collect();
    const bytes = encodeSample(SAMPLE_FRAMES[3]!);
    decoder.push(bytes.subarray(0, bytes.length - 1));
    expect(frames.length).toBe(0);
    expect(decoder.pendingBytes).toBe(bytes.length - 1);
  });

  test("garbage is rejected with a typed error that shows the bytes", () => {
    const { decoder } = collect();
    let error: unknown;
    try {
      decoder.push(Buffer.from("error: Module not found\n"));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(KfwdError);
    expect((error as KfwdError).code).toBe("KFWD_WIRE_PROTOCOL");
    expect((error as KfwdError).message).toContain("Module not found");
    // The decoder stays failed: there is no way to find the next frame.
    expect(() => decoder.push(encodeSample(SAMPLE_FRAMES[0]!))).toThrow(KfwdError);
  });

  test("unknown frame types, oversized frames and wrong fixed lengths are rejected", () => {
    const unknown = Buffer.from([0xee, 0, 0, 0, 0, 0, 0, 1]);
    expect(() => collect().decoder.push(unknown)).toThrow(/unknown frame type 0xee/);
    const zero = Buffer.from([0, 0, 0, 0, 0, 0, 0, 1]);
    expect(() => collect().decoder.push(zero)).toThrow(/unknown frame type 0x00/);
    const oversized = Buffer.from([FrameType.DATA, 0, 0x80, 0x01, 0, 0, 0, 1]);
    expect(() => collect().decoder.push(oversized)).toThrow(/exceeds 32768/);
    const badPing = encodeFrame(FrameType.PING, 0, 0, Buffer.alloc(3));
    expect(() => collect().decoder.push(badPing)).toThrow(/must carry 8 bytes/);
    // Detected from the header alone, before the payload arrives.
    expect(() => collect().decoder.push(oversized.subarray(0, HEADER_SIZE))).toThrow(KfwdError);
  });

  test("the encoder refuses payloads over the frame limit", () => {
    expect(() => encodeFrame(FrameType.DATA, 0, 1, Buffer.alloc(MAX_PAYLOAD + 1))).toThrow(RangeError);
  });

  test("HELLO without the magic is rejected", () => {
    expect(() => decodeHello(Buffer.from("HTTP/1.1 400 Bad"))).toThrow(KfwdError);
  });
});
