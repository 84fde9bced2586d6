/** HTTP/1.1 framing for the filter (agent/incoming/http1.ts): where heads and bodies end, bytes left untouched. */
import { describe, expect, test } from "bun:test";
import {
  BodyTracker,
  HttpParseError,
  isUpgrade,
  MAX_HEAD,
  requestFraming,
  responseFraming,
  splitHead,
  wantsClose,
} from "../../../agent/incoming/http1";

const b = (s: string): Buffer => Buffer.from(s, "latin1");
const head = (s: string, kind: "request" | "response" = "request") => {
  const split = splitHead(b(s), kind);
  if (!split) throw new Error("incomplete head");
  return split.head;
};
/** Feeds `body` to a tracker in pieces of `size` bytes; how many bytes it took before it was done. */
const consumed = (tracker: BodyTracker, body: string, size: number): number => {
  let taken = 0;
  for (let i = 0; i < body.length && !tracker.done; i += size) {
    const piece = b(body.slice(i, i + size));
    const n = tracker.take(piece);
    taken += n;
    if (n < piece.length) break;
  }
  return taken;
};

describe("splitHead", () => {
  test("a request head: method, target, headers (names lowercased, repeats kept), the rest left over", () => {
    const split = splitHead(
      b("GET /a?b=1 HTTP/1.1\r\nHost: x\r\nX-Dev-User: alice\r\nx-dev-user: bob\r\n\r\nNEXT"),
      "request",
    );
    expect(split?.head.method).toBe("GET");
    expect(split?.head.path).toBe("/a?b=1");
    expect(split?.head.headers.get("x-dev-user")).toEqual(["alice", "bob"]);
    expect(split?.rest.toString()).toBe("NEXT");
  });

  test("incomplete: undefined until the blank line; too large: an error", () => {
    expect(splitHead(b("GET / HTTP/1.1\r\nHost: x\r\n"), "request")).toBeUndefined();
    expect(() => splitHead(Buffer.alloc(MAX_HEAD + 1, 97), "request")).toThrow(HttpParseError);
  });

  test("not HTTP/1.x (HTTP/2 preface, garbage) is an error, not a guess", () => {
    expect(() => splitHead(b("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), "request")).toThrow(HttpParseError);
    expect(() => splitHead(b("hello\r\n\r\n"), "request")).toThrow(HttpParseError);
    expect(() => splitHead(b("GET / HTTP/1.1\r\nno colon\r\n\r\n"), "request")).toThrow(HttpParseError);
    expect(() => splitHead(b("SSH-2.0\r\n\r\n"), "response")).toThrow(HttpParseError);
  });

  test("a response head: its status", () => {
    expect(head("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", "response").status).toBe(101);
  });
});

describe("framing", () => {
  test("request: content-length, chunked (last coding wins), none", () => {
    expect(requestFraming(head("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n"))).toEqual({ kind: "length", length: 5 });
    expect(requestFraming(head("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"))).toEqual({
      kind: "chunked",
    });
    expect(requestFraming(head("GET / HTTP/1.1\r\n\r\n"))).toEqual({ kind: "length", length: 0 });
  });

  test("response: HEAD, 204, 304 and 1xx have no body; no length means until close", () => {
    const ok = head("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", "response");
    expect(responseFraming(ok, "HEAD")).toEqual({ kind: "length", length: 0 });
    expect(responseFraming(ok, "GET")).toEqual({ kind: "length", length: 10 });
    expect(responseFraming(head("HTTP/1.1 204 No Content\r\n\r\n", "response"), "GET").kind).toBe("length");
    expect(responseFraming(head("HTTP/1.1 100 Continue\r\n\r\n", "response"), "POST")).toEqual({
      kind: "length",
      length: 0,
    });
    expect(responseFraming(head("HTTP/1.1 200 OK\r\n\r\n", "response"), "GET")).toEqual({ kind: "close" });
  });

  test("connection tokens: close, upgrade (both headers needed)", () => {
    expect(wantsClose(head("GET / HTTP/1.1\r\nConnection: keep-alive, Close\r\n\r\n"))).toBe(true);
    expect(isUpgrade(head("GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"))).toBe(true);
    expect(isUpgrade(head("GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n"))).toBe(false);
  });
});

describe("BodyTracker", () => {
  const chunked = "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\n";
  test("chunked with extensions and trailers ends exactly, whatever the pieces", () => {
    for (const size of [1, 3, 7, chunked.length]) {
      const t = new BodyTracker({ kind: "chunked" });
      expect(consumed(t, `${chunked}GET /next`, size)).toBe(chunked.length);
      expect(t.done).toBe(true);
    }
  });

  test("content-length stops at the length: pipelined requests stay apart", () => {
    const t = new BodyTracker({ kind: "length", length: 4 });
    expect(t.take(b("abcdGET / HTTP/1.1\r\n\r\n"))).toBe(4);
    expect(t.done).toBe(true);
    expect(new BodyTracker({ kind: "length", length: 0 }).done).toBe(true);
  });

  test("until close takes everything; a bad chunk size is an error", () => {
    const t = new BodyTracker({ kind: "close" });
    expect(t.take(b("anything at all"))).toBe(15);
    expect(t.done).toBe(false);
    expect(() => new BodyTracker({ kind: "chunked" }).take(b("zz\r\n"))).toThrow(HttpParseError);
  });
});
