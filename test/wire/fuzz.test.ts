/**
 * The frame decoder under random and mutated input in random chunkings: it either hands on frames or throws a
 * KfwdError (KFWD_WIRE_PROTOCOL) — never another error — and never holds more than one frame back.
 * Bounded by default; KFWD_FUZZ_SECONDS for a soak run.
 */
import { describe, expect, test } from "bun:test";
import { FrameDecoder, encodeFrame } from "../../wire/codec";
import { HEADER_SIZE, MAX_PAYLOAD } from "../../wire/constants";
import { KfwdError } from "../../wire/kfwd-error";
import { SAMPLE_FRAMES } from "./samples";

const SECONDS = Math.min(Number(process.env.KFWD_FUZZ_SECONDS ?? 1), 60);
const rand = (n: number): number => Math.floor(Math.random() * n);

function input(): Buffer {
  const frames = Array.from({ length: 1 + rand(6) }, () => {
    const f = SAMPLE_FRAMES[rand(SAMPLE_FRAMES.length)]!;
    return encodeFrame(f.type, f.flags, f.id, f.payload);
  });
  const bytes = Buffer.concat(frames);
  const how = rand(3);
  if (how === 0) return Buffer.from(Array.from({ length: rand(200) }, () => rand(256)));
  for (let i = rand(4); i > 0 && how === 1; i--) bytes[rand(bytes.length)] = rand(256);
  return bytes;
}

describe("wire decoder fuzz", () => {
  test(`${SECONDS} s of random and mutated frames`, () => {
    let inputs = 0;
    let frames = 0;
    let rejected = 0;
    const deadline = performance.now() + SECONDS * 1000;
    while (performance.now() < deadline) {
      inputs++;
      const decoder = new FrameDecoder(() => frames++, { splitData: rand(2) === 0 });
      const bytes = input();
      try {
        for (let at = 0; at < bytes.length; ) {
          const n = 1 + rand(bytes.length);
          decoder.push(bytes.subarray(at, at + n));
          at += n;
          expect(decoder.pendingBytes).toBeLessThanOrEqual(HEADER_SIZE + MAX_PAYLOAD);
        }
      } catch (e) {
        rejected++;
        expect(e).toBeInstanceOf(KfwdError);
        expect((e as KfwdError).code).toBe("KFWD_WIRE_PROTOCOL");
      }
    }
    console.error(`wire fuzz: ${inputs} inputs, ${frames} frames decoded, ${rejected} rejected`);
    expect(rejected).toBeGreaterThan(0);
  }, 70_000);
});
