/**
 * Golden bytes per protocol version. An old agent and a new kfwd (or the reverse) must keep talking, so the
 * encoding of a released version never changes: if this test fails, either restore the encoding or bump
 * PROTOCOL_VERSION (wire/version.ts), gate the change on the settled version, and add a fixture for it:
 *   KFWD_WRITE_GOLDEN=1 bun test test/wire/golden.test.ts   (writes only a missing fixture)
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FrameDecoder } from "../../wire/codec";
import { MIN_PROTOCOL_VERSION, PROTOCOL_VERSION } from "../../wire/version";
import { SAMPLE_FRAMES, encodeSample } from "./samples";

const dir = join(import.meta.dir, "golden");
const fixturePath = (version: number): string => join(dir, `v${version}.json`);

function currentEncoding(): Record<string, string> {
  return Object.fromEntries(SAMPLE_FRAMES.map((s) => [s.name, encodeSample(s).toString("hex")]));
}

describe("golden frames", () => {
  test(`the encoding of protocol version ${PROTOCOL_VERSION} matches its fixture`, () => {
    const path = fixturePath(PROTOCOL_VERSION);
    if (!existsSync(path) && process.env.KFWD_WRITE_GOLDEN === "1") {
      writeFileSync(path, `${JSON.stringify(currentEncoding(), null, 2)}\n`);
    }
    expect(existsSync(path)).toBe(true);
    const golden = JSON.parse(readFileSync(path, "utf8")) as Record<string, string>;
    expect(currentEncoding()).toEqual(golden);
  });

  test("every supported version's fixture still decodes", () => {
    const versions = readdirSync(dir)
      .map((name) => /^v(\d+)\.json$/.exec(name)?.[1])
      .filter((v): v is string => v !== undefined)
      .map(Number)
      .filter((v) => v >= MIN_PROTOCOL_VERSION);
    expect(versions).toContain(PROTOCOL_VERSION);
    for (const version of versions) {
      const golden = JSON.parse(readFileSync(fixturePath(version), "utf8")) as Record<string, string>;
      let count = 0;
      const decoder = new FrameDecoder(() => count++);
      decoder.push(Buffer.from(Object.values(golden).join(""), "hex"));
      expect(count).toBe(Object.keys(golden).length);
    }
  });
});
