/**
 * An incremental HTTP/1.1 parser (RFC 9112) for the proxy: heads are parsed whole, bodies are only framed.
 * The proxy forwards body bytes unchanged (chunked stays chunked), so the framer just finds where a message
 * ends: it skips chunk data by length and looks only at chunk-size lines and trailers.
 */

export class HttpParseError extends Error {
  constructor(
    message: string,
    /** The status to answer a client with. */
    readonly status = 400,
  ) {
    super(message);
  }
}

export type Headers = Array<[name: string, value: string]>;

export interface RequestHead {
  method: string;
  target: string;
  /** "1.0" or "1.1" */
  version: string;
  headers: Headers;
}

export interface ResponseHead {
  status: number;
  reason: string;
  version: string;
  headers: Headers;
}

const MAX_HEAD_BYTES = 64 * 1024;
const MAX_START_LINE = 8 * 1024;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const REQUEST_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) ([^\s]+) HTTP\/(1\.[01])$/;
const STATUS_LINE = /^HTTP\/(1\.[01]) (\d{3})(?: (.*))?$/;

function parseHeaders(lines: string[]): Headers {
  const headers: Headers = [];
  for (const line of lines) {
    const colon = line.indexOf(":");
    const name = line.slice(0, colon);
    // Obsolete line folding (a line starting with whitespace) and spaces before the colon are rejected (RFC 9112 §5).
    if (colon <= 0 || !TOKEN.test(name)) throw new HttpParseError(`bad header line "${line.slice(0, 40)}"`);
    headers.push([name, line.slice(colon + 1).trim()]);
  }
  return headers;
}

export function parseRequestHead(lines: string[]): RequestHead {
  const m = REQUEST_LINE.exec(lines[0] ?? "");
  if (m === null) throw new HttpParseError(`bad request line "${(lines[0] ?? "").slice(0, 60)}"`);
  return { method: m[1]!, target: m[2]!, version: m[3]!, headers: parseHeaders(lines.slice(1)) };
}

export function parseResponseHead(lines: string[]): ResponseHead {
  const m = STATUS_LINE.exec(lines[0] ?? "");
  if (m === null) throw new HttpParseError(`bad status line "${(lines[0] ?? "").slice(0, 60)}"`, 502);
  return { version: m[1]!, status: Number(m[2]), reason: m[3] ?? "", headers: parseHeaders(lines.slice(1)) };
}

const CRLFCRLF = Buffer.from("\r\n\r\n");

/** 414 URI Too Long: the target is what makes a start line long (a response's status line is answered 502). */
function startLineTooLong(bytes: number): HttpParseError {
  return new HttpParseError(`start line too long (over ${bytes} bytes; at most ${MAX_START_LINE})`, 414);
}

/** Collects one head from any chunking. Single use: make a new one per message. */
export class HeadReader<T> {
  #buf: Buffer = Buffer.alloc(0);
  #checkedStartLine = false;

  constructor(readonly parse: (lines: string[]) => T) {}

  /** Bytes seen so far (a head cut short by EOF is then a truncated message). */
  get buffered(): number {
    return this.#buf.length;
  }

  /** Returns the parsed head and the bytes after it once the blank line has arrived. */
  push(chunk: Buffer): { head: T; rest: Buffer } | undefined {
    const from = Math.max(0, this.#buf.length - 3);
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    // Blank lines before a request line are ignored (RFC 9112 §2.2).
    let start = 0;
    while (this.#buf[start] === 0x0d || this.#buf[start] === 0x0a) start++;
    const end = this.#buf.indexOf(CRLFCRLF, Math.max(from, start));
    if (end < 0) {
      this.#checkStartLine(start);
      if (this.#buf.length > MAX_HEAD_BYTES) throw new HttpParseError("head too large", 431);
      return undefined;
    }
    // The start-line limit holds however the head arrived: in pieces (#checkStartLine) or in one read.
    const eol = this.#buf.indexOf("\r\n", start);
    if (eol - start > MAX_START_LINE) throw startLineTooLong(eol - start);
    const lines = this.#buf.toString("latin1", start, end).split("\r\n");
    return { head: this.parse(lines), rest: this.#buf.subarray(end + 4) };
  }

  /** Rejects garbage as soon as its first line is complete instead of waiting for a blank line. */
  #checkStartLine(start: number): void {
    if (this.#checkedStartLine) return;
    const eol = this.#buf.indexOf("\r\n", start);
    if (eol < 0) {
      if (this.#buf.length - start > MAX_START_LINE) throw startLineTooLong(this.#buf.length - start);
      return;
    }
    this.#checkedStartLine = true;
    if (eol - start > MAX_START_LINE) throw startLineTooLong(eol - start);
    this.parse([this.#buf.toString("latin1", start, eol)]);
  }
}

/** Every value of a header, split on commas, lowercased (for Connection, Transfer-Encoding, …). */
export function headerTokens(headers: Headers, name: string): string[] {
  const out: string[] = [];
  for (const [n, v] of headers) {
    if (n.toLowerCase() !== name) continue;
    for (const t of v.split(",")) if (t.trim() !== "") out.push(t.trim().toLowerCase());
  }
  return out;
}

export function headerValue(headers: Headers, name: string): string | undefined {
  return headers.find(([n]) => n.toLowerCase() === name)?.[1];
}

export type BodyFraming =
  | { type: "none" }
  | { type: "length"; length: number }
  | { type: "chunked" }
  | { type: "close" };

function contentLength(headers: Headers, status: number): number | undefined {
  const values = headerTokens(headers, "content-length");
  if (values.length === 0) return undefined;
  // Several equal values are allowed (RFC 9110 §8.6); differing ones are how requests get smuggled.
  if (!values.every((v) => v === values[0]) || !/^\d{1,15}$/.test(values[0]!)) {
    throw new HttpParseError("bad Content-Length", status);
  }
  return Number(values[0]);
}

/** RFC 9112 §6.3, for a request. */
export function requestFraming(head: RequestHead): BodyFraming {
  const te = headerTokens(head.headers, "transfer-encoding");
  if (te.length > 0) {
    // With both fields present the message is ambiguous between hops: refuse it rather than guess.
    if (headerValue(head.headers, "content-length") !== undefined) {
      throw new HttpParseError("both Transfer-Encoding and Content-Length");
    }
    if (te[te.length - 1] !== "chunked") throw new HttpParseError("request body not chunked", 501);
    return { type: "chunked" };
  }
  const length = contentLength(head.headers, 400);
  return length === undefined || length === 0 ? { type: "none" } : { type: "length", length };
}

/** RFC 9112 §6.3, for a response to `method`. */
export function responseFraming(head: ResponseHead, method: string): BodyFraming {
  if (method === "HEAD" || head.status < 200 || head.status === 204 || head.status === 304) return { type: "none" };
  const te = headerTokens(head.headers, "transfer-encoding");
  if (te.length > 0) return te[te.length - 1] === "chunked" ? { type: "chunked" } : { type: "close" };
  const length = contentLength(head.headers, 502);
  if (length === undefined) return { type: "close" };
  return length === 0 ? { type: "none" } : { type: "length", length };
}

enum Chunked {
  Size,
  Data,
  DataEnd,
  Trailer,
  Done,
}

/** Finds the end of one body in the byte stream. */
export class BodyFramer {
  #remaining = 0;
  #chunked = Chunked.Size;
  #line = "";

  constructor(
    readonly framing: BodyFraming,
    /** The status a malformed body is answered with: 400 for a request's (the client's fault), 502 for a response's. */
    readonly errorStatus = 502,
  ) {
    if (framing.type === "length") this.#remaining = framing.length;
  }

  get done(): boolean {
    const type = this.framing.type;
    if (type === "length") return this.#remaining === 0;
    return type === "none" || (type === "chunked" && this.#chunked === Chunked.Done);
  }

  /** The stream ended: true when that completes this body (close-delimited), false when it cuts it short. */
  endOfStream(): boolean {
    return this.framing.type === "close" || this.done;
  }

  /** How many leading bytes of `data` belong to this body; anything after them belongs to the next message. */
  consume(data: Uint8Array): number {
    switch (this.framing.type) {
      case "none":
        return 0;
      case "close":
        return data.length;
      case "length": {
        const n = Math.min(this.#remaining, data.length);
        this.#remaining -= n;
        return n;
      }
      case "chunked":
        return this.#consumeChunked(data);
    }
  }

  #consumeChunked(data: Uint8Array): number {
    let i = 0;
    while (i < data.length && this.#chunked !== Chunked.Done) {
      if (this.#chunked === Chunked.Data) {
        const n = Math.min(this.#remaining, data.length - i);
        i += n;
        this.#remaining -= n;
        if (this.#remaining === 0) this.#chunked = Chunked.DataEnd;
        continue;
      }
      const lf = data.indexOf(0x0a, i);
      const end = lf < 0 ? data.length : lf;
      this.#line += Buffer.from(data.buffer, data.byteOffset + i, end - i).toString("latin1");
      if (this.#line.length > 4096) throw new HttpParseError("chunk line too long", this.errorStatus);
      i = end;
      if (lf < 0) break;
      i++;
      const line = this.#line.endsWith("\r") ? this.#line.slice(0, -1) : this.#line;
      this.#line = "";
      this.#onLine(line);
    }
    return i;
  }

  #onLine(line: string): void {
    switch (this.#chunked) {
      case Chunked.Size: {
        const size = (line.split(";")[0] ?? "").trim();
        if (!/^[0-9a-fA-F]{1,13}$/.test(size)) throw new HttpParseError("bad chunk size", this.errorStatus);
        this.#remaining = parseInt(size, 16);
        this.#chunked = this.#remaining === 0 ? Chunked.Trailer : Chunked.Data;
        return;
      }
      case Chunked.DataEnd:
        if (line !== "") throw new HttpParseError("chunk data longer than its size", this.errorStatus);
        this.#chunked = Chunked.Size;
        return;
      case Chunked.Trailer:
        if (line === "") this.#chunked = Chunked.Done;
        return;
    }
  }
}
