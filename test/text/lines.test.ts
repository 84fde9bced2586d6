import { expect, test } from "bun:test";
import { LineSplitter, MAX_LINE } from "../../src/text/lines";

const bytes = (s: string) => new TextEncoder().encode(s);

test("line splitter: partial lines, CRLF, UTF-8 split across chunks", () => {
  const s = new LineSplitter();
  const b = bytes("a\r\nbé");
  expect(s.push(b.subarray(0, 5))).toEqual(["a"]);
  expect(s.push(b.subarray(5))).toEqual([]);
  expect(s.push(bytes("\nc"))).toEqual(["bé"]);
  expect(s.flush()).toBe("c");
});

test("a line without an end is cut at 64 KiB, so memory stays bounded", () => {
  const s = new LineSplitter();
  const out: string[] = [];
  for (let i = 0; i < 10; i++) out.push(...s.push(bytes("x".repeat(20_000))));
  expect(out.map((l) => l.length)).toEqual([MAX_LINE, MAX_LINE, MAX_LINE]);
  expect(s.flush()?.length).toBe(200_000 - 3 * MAX_LINE);
});

test("overflow 'error': a line longer than the cap is an error, not pieces", () => {
  const s = new LineSplitter({ maxLine: 10, overflow: "error" });
  expect(s.push(bytes("0123456789\nab"))).toEqual(["0123456789"]);
  expect(() => s.push(bytes("cdefghijk"))).toThrow("longer than 10");
});
