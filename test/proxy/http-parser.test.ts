import { describe, expect, test } from "bun:test";
import {
  BodyFramer,
  HeadReader,
  HttpParseError,
  parseRequestHead,
  parseResponseHead,
  requestFraming,
  responseFraming,
} from "../../src/proxy/http-parser";

/** Feeds `text` in pieces of `size` bytes; returns the head and the bytes that followed it. */
function feed<T>(reader: HeadReader<T>, text: string, size: number) {
  const bytes = Buffer.from(text, "latin1");
  for (let i = 0; i < bytes.length; i += size) {
    const got = reader.push(bytes.subarray(i, i + size));
    if (got !== undefined)
      return { head: got.head, rest: Buffer.concat([got.rest, bytes.subarray(i + size)]).toString() };
  }
  return undefined;
}

/** Runs a framer over `body` split every `size` bytes; returns [bytes in the body, done]. */
function frame(framer: BodyFramer, body: string, size: number): [number, boolean] {
  const bytes = Buffer.from(body, "latin1");
  let used = 0;
  for (let i = 0; i < bytes.length && !framer.done; i += size) used += framer.consume(bytes.subarray(i, i + size));
  return [used, framer.done];
}

const REQUEST = "\r\nPOST http://h/p HTTP/1.1\r\nHost: h\r\nX-A:  spaced  \r\nContent-Length: 3\r\n\r\nabcNEXT";

describe("HeadReader", () => {
  test("any chunking gives the same head and leftover", () => {
    for (const size of [1, 2, 3, 7, 1000]) {
      const got = feed(new HeadReader(parseRequestHead), REQUEST, size);
      expect(got?.head).toEqual({
        method: "POST",
        target: "http://h/p",
        version: "1.1",
        headers: [
          ["Host", "h"],
          ["X-A", "spaced"],
          ["Content-Length", "3"],
        ],
      });
      expect(got?.rest).toBe("abcNEXT");
    }
  });

  test("responses", () => {
    const got = feed(new HeadReader(parseResponseHead), "HTTP/1.1 204 No Content\r\nA: b\r\n\r\n", 5);
    expect(got?.head).toEqual({ version: "1.1", status: 204, reason: "No Content", headers: [["A", "b"]] });
    expect(feed(new HeadReader(parseResponseHead), "HTTP/1.0 200\r\n\r\n", 1)?.head.reason).toBe("");
  });

  test("garbage is rejected as soon as its first line is complete", () => {
    const reader = new HeadReader(parseRequestHead);
    expect(() => reader.push(Buffer.from("\x16\x03\x01 hello\r\n"))).toThrow(HttpParseError);
    expect(() => new HeadReader(parseRequestHead).push(Buffer.from("GET / HTTP/2.0\r\n"))).toThrow(HttpParseError);
    expect(() => new HeadReader(parseRequestHead).push(Buffer.from("GET / HTTP/1.1\r\nBad Header: x\r\n\r\n"))).toThrow(
      HttpParseError,
    );
    expect(() =>
      new HeadReader(parseRequestHead).push(Buffer.from("GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n")),
    ).toThrow(HttpParseError);
    expect(() => new HeadReader(parseResponseHead).push(Buffer.from("SSH-2.0-OpenSSH\r\n"))).toThrow(
      expect.objectContaining({ status: 502 }),
    );
  });

  test("sizes are bounded", () => {
    expect(() => new HeadReader(parseRequestHead).push(Buffer.alloc(9000, 65))).toThrow(HttpParseError);
    // A long start line is refused whether the head comes in pieces or whole in one read.
    const longLine = `GET http://h/${"a".repeat(9000)} HTTP/1.1\r\n`;
    expect(() => new HeadReader(parseRequestHead).push(Buffer.from(longLine))).toThrow(
      expect.objectContaining({ status: 414 }),
    );
    expect(() => new HeadReader(parseRequestHead).push(Buffer.from(`${longLine}Host: h\r\n\r\n`))).toThrow(
      expect.objectContaining({ status: 414 }),
    );
    const reader = new HeadReader(parseRequestHead);
    reader.push(Buffer.from("GET http://h/ HTTP/1.1\r\n"));
    expect(() => {
      for (let i = 0; i < 100; i++) reader.push(Buffer.from(`X-${i}: ${"v".repeat(1000)}\r\n`));
    }).toThrow(expect.objectContaining({ status: 431 }));
  });
});

const req = (headers: string) =>
  feed(new HeadReader(parseRequestHead), `POST http://h/ HTTP/1.1\r\n${headers}\r\n`, 100)!.head;
const res = (status: number, headers = "") =>
  feed(new HeadReader(parseResponseHead), `HTTP/1.1 ${status} X\r\n${headers}\r\n`, 100)!.head;

describe("message framing (RFC 9112 §6.3)", () => {
  test("requests", () => {
    expect(requestFraming(req(""))).toEqual({ type: "none" });
    expect(requestFraming(req("Content-Length: 0\r\n"))).toEqual({ type: "none" });
    expect(requestFraming(req("Content-Length: 12\r\nContent-Length: 12\r\n"))).toEqual({ type: "length", length: 12 });
    expect(requestFraming(req("Transfer-Encoding: gzip, chunked\r\n"))).toEqual({ type: "chunked" });
    expect(() => requestFraming(req("Content-Length: 1\r\nContent-Length: 2\r\n"))).toThrow(HttpParseError);
    expect(() => requestFraming(req("Content-Length: -1\r\n"))).toThrow(HttpParseError);
    expect(() => requestFraming(req("Content-Length: 3\r\nTransfer-Encoding: chunked\r\n"))).toThrow(HttpParseError);
    expect(() => requestFraming(req("Transfer-Encoding: gzip\r\n"))).toThrow(expect.objectContaining({ status: 501 }));
  });

  test("responses", () => {
    expect(responseFraming(res(200, "Content-Length: 5\r\n"), "HEAD")).toEqual({ type: "none" });
    for (const s of [100, 101, 204, 304])
      expect(responseFraming(res(s, "Content-Length: 5\r\n"), "GET")).toEqual({ type: "none" });
    expect(responseFraming(res(200, "Content-Length: 5\r\n"), "GET")).toEqual({ type: "length", length: 5 });
    expect(responseFraming(res(200, "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n"), "GET")).toEqual({
      type: "chunked",
    });
    expect(responseFraming(res(200, "Transfer-Encoding: gzip\r\n"), "GET")).toEqual({ type: "close" });
    expect(responseFraming(res(200), "GET")).toEqual({ type: "close" });
  });
});

describe("BodyFramer", () => {
  const CHUNKED = "5\r\nhello\r\n1a;ext=1\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nTrailer: x\r\n\r\n";

  test("chunked: finds the end in any chunking, leaves what follows", () => {
    for (const size of [1, 2, 5, 13, 1000]) {
      expect(frame(new BodyFramer({ type: "chunked" }), `${CHUNKED}GET /next`, size)).toEqual([CHUNKED.length, true]);
    }
  });

  test("chunked: bare LF line ends are accepted, malformed sizes and overlong data rejected", () => {
    expect(frame(new BodyFramer({ type: "chunked" }), "3\nabc\n0\n\n", 1)).toEqual([9, true]);
    expect(() => frame(new BodyFramer({ type: "chunked" }), "zz\r\n", 1)).toThrow(HttpParseError);
    expect(() => frame(new BodyFramer({ type: "chunked" }), "2\r\nabc\r\n", 100)).toThrow(HttpParseError);
    expect(() => frame(new BodyFramer({ type: "chunked" }), "fffffffffffffff\r\n", 100)).toThrow(HttpParseError);
  });

  test("length, none and close", () => {
    expect(frame(new BodyFramer({ type: "length", length: 4 }), "abcdefgh", 3)).toEqual([4, true]);
    expect(frame(new BodyFramer({ type: "none" }), "abc", 1)).toEqual([0, true]);
    const close = new BodyFramer({ type: "close" });
    expect(frame(close, "abc", 1)).toEqual([3, false]);
    expect(close.endOfStream()).toBe(true);
    const cut = new BodyFramer({ type: "length", length: 10 });
    frame(cut, "abc", 1);
    expect(cut.endOfStream()).toBe(false);
  });
});
