/**
 * The pod's files on the wire: the host opens a stream of kind "files", writes one request (u32 length, JSON),
 * and the agent answers with an archive — a sequence of records — first the whole tree, then a SYNCED record,
 * then (if asked to watch) a record per change for as long as the stream lives. One stream carries a whole
 * tree, so a copy costs no round trip per file and moves under the stream's own flow control.
 *
 * Record: type u8 | path length u16 | path (UTF-8, the container's absolute path) | by type:
 *   FILE    mode u32 | size u32 high | size u32 low | `size` bytes of content
 *   DIR     mode u32
 *   DELETE  —
 *   SYNCED  — (empty path; the tree so far is complete)
 *   SKIPPED reason length u16 | reason (UTF-8): a path the agent would not or could not copy
 * The host treats every path as hostile (docs/wire-protocol.md §11).
 */
import { wireProtocolError } from "./errors";

export const FILES_STREAM_KIND = "files";

export const FilesRecord = { FILE: 1, DIR: 2, DELETE: 3, SYNCED: 4, SKIPPED: 5 } as const;

/** What the host asks for: trees by the container's absolute paths, excluded names, and whether to watch. */
export interface FilesRequest {
  roots: string[];
  /** RegExp sources (from the host's glob engine), tested against each entry's name and its full path. */
  exclude: string[];
  watch: boolean;
  /** How often the agent looks for changes while watching (ms). */
  intervalMs?: number;
}

/** A request is small; anything over this is not one. */
const MAX_REQUEST = 1024 * 1024;
const MAX_PATH = 0xffff;

export function encodeFilesRequest(request: FilesRequest): Buffer {
  const body = Buffer.from(JSON.stringify(request));
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length, 0);
  return Buffer.concat([head, body]);
}

/** Reads the request at the start of a stream; the bytes after it, if any, are returned too. */
export function decodeFilesRequest(buffer: Buffer): { request: FilesRequest; rest: Buffer } | undefined {
  if (buffer.length < 4) return undefined;
  const length = buffer.readUInt32BE(0);
  if (length > MAX_REQUEST) throw wireProtocolError(`files request of ${length} bytes`);
  if (buffer.length < 4 + length) return undefined;
  const raw = JSON.parse(buffer.subarray(4, 4 + length).toString("utf8")) as Partial<FilesRequest>;
  const strings = (v: unknown): string[] =>
    Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : [];
  const request: FilesRequest = {
    roots: strings(raw.roots),
    exclude: strings(raw.exclude),
    watch: raw.watch === true,
    ...(typeof raw.intervalMs === "number" && raw.intervalMs > 0 ? { intervalMs: raw.intervalMs } : {}),
  };
  return { request, rest: buffer.subarray(4 + length) };
}

function head(type: number, path: string, extra: number): { buffer: Buffer; offset: number } {
  const p = Buffer.from(path, "utf8");
  if (p.length > MAX_PATH) throw new Error(`path too long for the archive: ${path.slice(0, 80)}…`);
  const buffer = Buffer.alloc(3 + p.length + extra);
  buffer.writeUInt8(type, 0);
  buffer.writeUInt16BE(p.length, 1);
  p.copy(buffer, 3);
  return { buffer, offset: 3 + p.length };
}

/** The header of a FILE record; `size` bytes of content must follow. */
export function encodeFileHead(path: string, mode: number, size: number): Buffer {
  const { buffer, offset } = head(FilesRecord.FILE, path, 12);
  buffer.writeUInt32BE(mode >>> 0, offset);
  buffer.writeUInt32BE(Math.floor(size / 2 ** 32), offset + 4);
  buffer.writeUInt32BE(size >>> 0, offset + 8);
  return buffer;
}

export function encodeDir(path: string, mode: number): Buffer {
  const { buffer, offset } = head(FilesRecord.DIR, path, 4);
  buffer.writeUInt32BE(mode >>> 0, offset);
  return buffer;
}

export function encodeDelete(path: string): Buffer {
  return head(FilesRecord.DELETE, path, 0).buffer;
}

export function encodeSynced(): Buffer {
  return head(FilesRecord.SYNCED, "", 0).buffer;
}

export function encodeSkipped(path: string, reason: string): Buffer {
  const r = Buffer.from(reason.slice(0, 1000), "utf8");
  const { buffer, offset } = head(FilesRecord.SKIPPED, path, 2 + r.length);
  buffer.writeUInt16BE(r.length, offset);
  r.copy(buffer, offset + 2);
  return buffer;
}

export type FilesEvent =
  | { type: "file"; path: string; mode: number; size: number }
  /** A piece of the current file's content; `last` on the final piece (an empty file has one empty piece). */
  | { type: "data"; chunk: Buffer; last: boolean }
  | { type: "dir"; path: string; mode: number }
  | { type: "delete"; path: string }
  | { type: "synced" }
  | { type: "skipped"; path: string; reason: string };

/**
 * Turns archive bytes, cut anywhere, into events. Content is handed on as views of the input (no copy); only a
 * record header cut across chunks is assembled. An unknown record type ends the stream as a protocol error.
 */
export class FilesArchiveReader {
  private pending: Buffer = Buffer.alloc(0);
  /** Bytes of file content still to come. */
  private remaining = 0;

  push(chunk: Buffer): FilesEvent[] {
    const events: FilesEvent[] = [];
    let data = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = Buffer.alloc(0);
    for (;;) {
      if (this.remaining > 0) {
        if (data.length === 0) break;
        const n = Math.min(this.remaining, data.length);
        this.remaining -= n;
        events.push({ type: "data", chunk: data.subarray(0, n), last: this.remaining === 0 });
        data = data.subarray(n);
        continue;
      }
      const parsed = this.record(data);
      if (!parsed) break;
      events.push(...parsed.events);
      data = data.subarray(parsed.used);
    }
    if (data.length > 0) this.pending = Buffer.from(data);
    return events;
  }

  /** True when no record is cut off: the stream may end here. */
  get atBoundary(): boolean {
    return this.remaining === 0 && this.pending.length === 0;
  }

  private record(data: Buffer): { events: FilesEvent[]; used: number } | undefined {
    if (data.length < 3) return undefined;
    const type = data.readUInt8(0);
    const pathEnd = 3 + data.readUInt16BE(1);
    const need = (n: number) => data.length >= pathEnd + n;
    const path = () => data.subarray(3, pathEnd).toString("utf8");
    switch (type) {
      case FilesRecord.FILE: {
        if (!need(12)) return undefined;
        const size = data.readUInt32BE(pathEnd + 4) * 2 ** 32 + data.readUInt32BE(pathEnd + 8);
        const events: FilesEvent[] = [{ type: "file", path: path(), mode: data.readUInt32BE(pathEnd), size }];
        if (size === 0) events.push({ type: "data", chunk: Buffer.alloc(0), last: true });
        this.remaining = size;
        return { events, used: pathEnd + 12 };
      }
      case FilesRecord.DIR:
        if (!need(4)) return undefined;
        return { events: [{ type: "dir", path: path(), mode: data.readUInt32BE(pathEnd) }], used: pathEnd + 4 };
      case FilesRecord.DELETE:
        return need(0) ? { events: [{ type: "delete", path: path() }], used: pathEnd } : undefined;
      case FilesRecord.SYNCED:
        return need(0) ? { events: [{ type: "synced" }], used: pathEnd } : undefined;
      case FilesRecord.SKIPPED: {
        if (!need(2)) return undefined;
        const end = pathEnd + 2 + data.readUInt16BE(pathEnd);
        if (data.length < end) return undefined;
        const reason = data.subarray(pathEnd + 2, end).toString("utf8");
        return { events: [{ type: "skipped", path: path(), reason }], used: end };
      }
      default:
        throw wireProtocolError(`unknown files record type ${type}`, data.subarray(0, 16));
    }
  }
}
