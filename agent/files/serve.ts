/**
 * A "files" stream: kfwd asks for trees (wire/files.ts); the agent sends each directory and file, then SYNCED,
 * then — while kfwd keeps the stream open and asked to watch — looks again every `intervalMs` and sends what
 * changed. Content is read in pieces and written with backpressure, so a large file never sits in memory and
 * the stream's flow control paces the disk reads.
 */
import { open } from "node:fs/promises";
import {
  decodeFilesRequest,
  encodeDelete,
  encodeDir,
  encodeFileHead,
  encodeSkipped,
  encodeSynced,
  type FilesRequest,
} from "../../wire/files";
import type { IncomingOpen } from "../../wire/mux";
import type { MuxStream } from "../../wire/stream";
import { scanTrees, type Tree, type TreeEntry } from "./tree";
import { targetRoot } from "./root";

const DEFAULT_INTERVAL_MS = 500;
/** Files up to this size are batched with their neighbours into one write. */
const SMALL_FILE = 64 * 1024;
const BATCH = 256 * 1024;
const CHUNK = 1024 * 1024;

export function serveFiles(open: IncomingOpen, log: (message: string) => void): void {
  const stream = open.accept();
  let closed = false;
  stream.on("close", () => (closed = true));
  stream.on("error", () => {});
  void readRequest(stream)
    .then(async (request) => {
      const sender = new Sender(stream);
      let previous: Tree = { entries: new Map(), skipped: new Map() };
      let first = true;
      for (;;) {
        const current = scanTrees(
          targetRoot(),
          request.roots,
          request.exclude.map((s) => new RegExp(s)),
        );
        await sendChanges(sender, previous, current, () => closed);
        if (first) sender.add(encodeSynced());
        await sender.flush();
        first = false;
        previous = current;
        if (!request.watch || closed) break;
        await new Promise((resolve) => setTimeout(resolve, request.intervalMs ?? DEFAULT_INTERVAL_MS));
        if (closed) break;
      }
      if (!closed) stream.end();
    })
    .catch((error: unknown) => {
      if (!closed) log(`files stream ${stream.id}: ${(error as Error)?.message ?? error}`);
      stream.destroy();
    });
}

/** Reads the request without consuming the stream (a for-await loop would destroy it when left). */
function readRequest(stream: MuxStream): Promise<FilesRequest> {
  return new Promise((resolve, reject) => {
    let buffer = Buffer.alloc(0);
    const done = (): void => {
      stream.off("data", onData);
      stream.off("end", onEnd);
      stream.off("close", onEnd);
      stream.pause();
    };
    const onData = (chunk: Buffer): void => {
      buffer = Buffer.concat([buffer, chunk]);
      try {
        const decoded = decodeFilesRequest(buffer);
        if (!decoded) return;
        done();
        resolve(decoded.request);
      } catch (error) {
        done();
        reject(error);
      }
    };
    const onEnd = (): void => {
      done();
      reject(new Error("the stream ended before a request"));
    };
    stream.on("data", onData);
    stream.once("end", onEnd);
    stream.once("close", onEnd);
  });
}

async function sendChanges(sender: Sender, before: Tree, after: Tree, closed: () => boolean): Promise<void> {
  for (const [path, reason] of after.skipped)
    if (before.skipped.get(path) !== reason) sender.add(encodeSkipped(path, reason));
  // Deepest first, so a directory's contents go before it.
  const gone = [...before.entries.keys()].filter((p) => !after.entries.has(p)).sort((a, b) => b.length - a.length);
  for (const path of gone) {
    // Under a deleted directory, one DELETE is enough.
    if (!gone.some((g) => g !== path && path.startsWith(`${g}/`))) sender.add(encodeDelete(path));
  }
  for (const [path, entry] of after.entries) {
    if (closed()) return;
    const old = before.entries.get(path);
    if (old && old.kind === entry.kind && old.sig === entry.sig && old.mode === entry.mode) continue;
    if (entry.kind === "dir") sender.add(encodeDir(path, entry.mode));
    else await sendFile(sender, path, entry);
    await sender.spill();
  }
}

/** The content as read now; a file that changed size meanwhile is sent as read and sent again next look. */
async function sendFile(sender: Sender, path: string, entry: TreeEntry): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(entry.source, "r");
  } catch (error) {
    sender.add(encodeSkipped(path, `cannot read: ${(error as NodeJS.ErrnoException).code ?? error}`));
    entry.sig = ""; // try again next time
    return;
  }
  try {
    const size = (await handle.stat()).size;
    if (size <= SMALL_FILE) {
      const content = Buffer.alloc(size);
      const { bytesRead } = await handle.read(content, 0, size, 0);
      if (bytesRead < size) entry.sig = "";
      sender.add(encodeFileHead(path, entry.mode, size));
      sender.add(content);
      await sender.spill();
      return;
    }
    sender.add(encodeFileHead(path, entry.mode, size));
    await sender.flush();
    let offset = 0;
    while (offset < size) {
      const piece = Buffer.alloc(Math.min(CHUNK, size - offset));
      const { bytesRead } = await handle.read(piece, 0, piece.length, offset);
      if (bytesRead === 0) {
        entry.sig = ""; // shrank while we read: zeros fill the promised size, the next look sends it again
        piece.fill(0);
        offset += piece.length;
      } else offset += bytesRead;
      await sender.write(bytesRead === 0 ? piece : piece.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
}

/** Small records gathered into one write; large pieces written as they come, waiting for the stream's credit. */
class Sender {
  private parts: Buffer[] = [];
  private size = 0;

  constructor(private readonly stream: MuxStream) {}

  add(buffer: Buffer): void {
    this.parts.push(buffer);
    this.size += buffer.length;
  }

  async flush(): Promise<void> {
    if (this.size === 0) return;
    const whole = Buffer.concat(this.parts, this.size);
    this.parts = [];
    this.size = 0;
    await this.write(whole);
  }

  /** Writes what was gathered once it makes a batch. */
  async spill(): Promise<void> {
    if (this.size >= BATCH) await this.flush();
  }

  async write(buffer: Buffer): Promise<void> {
    if (this.stream.destroyed) throw new Error("stream closed");
    if (!this.stream.write(buffer)) {
      await new Promise<void>((resolve, reject) => {
        const done = (error?: Error) => {
          this.stream.off("drain", done);
          this.stream.off("close", done);
          if (error) reject(error);
          else resolve();
        };
        this.stream.once("drain", done);
        this.stream.once("close", done);
      });
    }
  }
}
