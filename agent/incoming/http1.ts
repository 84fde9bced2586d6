/**
 * Just enough HTTP/1.1 to route requests one by one on a kept-alive connection: where a message head ends,
 * what it says (method, path, headers), and how long its body is (Content-Length, chunked, until close). Bytes
 * are passed on exactly as they came; nothing is re-encoded.
 */

export const MAX_HEAD = 64 * 1024;

export interface MessageHead {
  raw: Buffer;
  /** Request: method and target; response: status. */
  method: string;
  path: string;
  status: number;
  headers: Map<string, string[]>;
}

export class HttpParseError extends Error {}

/** Splits off a complete head from `buf`: the head and the rest, or undefined when more bytes are needed. */
export function splitHead(buf: Buffer, kind: "request" | "response"): { head: MessageHead; rest: Buffer } | undefined {
  const end = buf.indexOf("\r\n\r\n");
  if (end < 0) {
    if (buf.length > MAX_HEAD) throw new HttpParseError(`message head larger than ${MAX_HEAD} bytes`);
    return undefined;
  }
  const raw = buf.subarray(0, end + 4);
  const lines = raw.subarray(0, end).toString("latin1").split("\r\n");
  const first = lines[0] ?? "";
  const headers = new Map<string, string[]>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) throw new HttpParseError(`bad header line ${JSON.stringify(line.slice(0, 80))}`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const list = headers.get(name) ?? [];
    list.push(line.slice(colon + 1).trim());
    headers.set(name, list);
  }
  let method = "";
  let path = "";
  let status = 0;
  if (kind === "request") {
    const parts = first.split(" ");
    if (parts.length !== 3 || !parts[2]?.startsWith("HTTP/1."))
      throw new HttpParseError(`not an HTTP/1.x request line: ${JSON.stringify(first.slice(0, 80))}`);
    method = parts[0] ?? "";
    path = parts[1] ?? "";
  } else {
    const m = /^HTTP\/1\.\d (\d{3})/.exec(first);
    if (!m) throw new HttpParseError(`not an HTTP/1.x status line: ${JSON.stringify(first.slice(0, 80))}`);
    status = Number(m[1]);
  }
  return { head: { raw: Buffer.from(raw), method, path, status, headers }, rest: buf.subarray(end + 4) };
}

const tokens = (head: MessageHead, name: string): string[] =>
  (head.headers.get(name) ?? []).flatMap((v) => v.split(",")).map((t) => t.trim().toLowerCase());

export const wantsClose = (head: MessageHead): boolean => tokens(head, "connection").includes("close");
export const isUpgrade = (head: MessageHead): boolean =>
  head.headers.has("upgrade") && tokens(head, "connection").includes("upgrade");

export type Framing = { kind: "length"; length: number } | { kind: "chunked" } | { kind: "close" };

export function requestFraming(head: MessageHead): Framing {
  if (tokens(head, "transfer-encoding").at(-1) === "chunked") return { kind: "chunked" };
  const length = head.headers.get("content-length")?.[0];
  return { kind: "length", length: length !== undefined ? Number(length) || 0 : 0 };
}

export function responseFraming(head: MessageHead, requestMethod: string): Framing {
  if (requestMethod === "HEAD" || head.status === 204 || head.status === 304 || head.status < 200)
    return { kind: "length", length: 0 };
  if (tokens(head, "transfer-encoding").at(-1) === "chunked") return { kind: "chunked" };
  const length = head.headers.get("content-length")?.[0];
  if (length !== undefined) return { kind: "length", length: Number(length) || 0 };
  return { kind: "close" };
}

/** Follows a body through its bytes without changing them, to find where it ends. */
export class BodyTracker {
  private state: "length" | "size" | "data" | "crlf" | "trailer" | "close" | "done";
  private left = 0;
  private line = "";

  constructor(framing: Framing) {
    if (framing.kind === "length") {
      this.left = framing.length;
      this.state = framing.length > 0 ? "length" : "done";
    } else this.state = framing.kind === "chunked" ? "size" : "close";
  }

  get done(): boolean {
    return this.state === "done";
  }

  /** How many of `chunk`'s bytes belong to the body (the rest is the next message). */
  take(chunk: Buffer): number {
    let i = 0;
    while (i < chunk.length && this.state !== "done") {
      switch (this.state) {
        case "close":
          return chunk.length;
        case "length":
        case "data":
        case "crlf": {
          const n = Math.min(this.left, chunk.length - i);
          i += n;
          this.left -= n;
          if (this.left === 0) {
            if (this.state === "length") this.state = "done";
            else if (this.state === "data") {
              this.state = "crlf";
              this.left = 2;
            } else this.state = "size";
          }
          break;
        }
        case "size":
        case "trailer": {
          const nl = chunk.indexOf(10, i);
          const stop = nl < 0 ? chunk.length : nl;
          this.line += chunk.subarray(i, stop).toString("latin1");
          if (this.line.length > 8192) throw new HttpParseError("chunk size or trailer line too long");
          i = stop;
          if (nl < 0) break;
          i++;
          const line = this.line.replace(/\r$/, "");
          this.line = "";
          if (this.state === "size") {
            const size = Number.parseInt(line.split(";")[0]?.trim() ?? "", 16);
            if (!Number.isFinite(size) || size < 0) throw new HttpParseError(`bad chunk size ${JSON.stringify(line)}`);
            if (size === 0) this.state = "trailer";
            else {
              this.state = "data";
              this.left = size;
            }
          } else if (line === "") this.state = "done";
          break;
        }
      }
    }
    return i;
  }
}
