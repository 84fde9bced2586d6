/**
 * One "files" stream from the host's side: ask the agent for the trees, apply every record to the host copy,
 * and report when the first full copy (SYNCED) is in place. While the stream lives the agent sends changes;
 * each is applied as it comes. A record the host refuses (a hostile path) is counted and reported, never
 * written.
 */
import type { Duplex } from "node:stream";
import { encodeFilesRequest, FilesArchiveReader, type FilesRequest } from "../../../wire/files";
import { KfwdError } from "../../errors";
import { type FileWriter, type HostCopy, HostPathError } from "./host-copy";

export interface ReceiveCounters {
  files: number;
  dirs: number;
  bytes: number;
  deleted: number;
  refused: number;
  /** Updates applied after the first full copy. */
  updates: number;
  /** When the last update was applied (ms since epoch). */
  lastUpdateAt?: number;
}

export interface ReceiveHooks {
  /** The first full copy is in place: `seen` is every path it held. */
  synced(seen: ReadonlySet<string>): void;
  skipped(path: string, reason: string): void;
  refused(path: string, why: string): void;
  progress?(counters: ReceiveCounters): void;
}

/** Sends the request and applies records until the stream ends; resolves then, rejects on a broken archive. */
export async function receiveFiles(
  stream: Duplex,
  request: FilesRequest,
  copy: HostCopy,
  counters: ReceiveCounters,
  hooks: ReceiveHooks,
): Promise<void> {
  stream.write(encodeFilesRequest(request));
  const reader = new FilesArchiveReader();
  const seen = new Set<string>();
  let synced = false;
  let current: { path: string; writer: FileWriter | undefined; size: number } | undefined;
  const count = () => {
    if (synced) {
      counters.updates++;
      counters.lastUpdateAt = Date.now();
    }
  };
  try {
    for await (const chunk of stream) {
      for (const event of reader.push(chunk as Buffer)) {
        switch (event.type) {
          case "file": {
            seen.add(event.path);
            let writer: FileWriter | undefined;
            try {
              writer = await copy.file(event.path, event.mode);
            } catch (error) {
              if (!(error instanceof HostPathError)) throw error;
              counters.refused++;
              hooks.refused(event.path, error.message);
            }
            current = { path: event.path, writer, size: event.size };
            break;
          }
          case "data": {
            if (!current) throw new KfwdError("KFWD_WIRE_PROTOCOL", "file content without a file record");
            await current.writer?.write(event.chunk);
            counters.bytes += event.chunk.length;
            if (event.last) {
              if (current.writer) {
                await current.writer.commit();
                counters.files++;
                count();
              }
              current = undefined;
              hooks.progress?.(counters);
            }
            break;
          }
          case "dir":
            seen.add(event.path);
            if (apply(() => copy.dir(event.path), event.path)) counters.dirs++;
            break;
          case "delete":
            if (await applyAsync(() => copy.remove(event.path), event.path)) {
              counters.deleted++;
              count();
            }
            break;
          case "skipped":
            hooks.skipped(event.path, event.reason);
            break;
          case "synced":
            synced = true;
            hooks.synced(seen);
            break;
        }
      }
    }
  } finally {
    await current?.writer?.abort();
  }
  if (!synced)
    throw new KfwdError(
      "KFWD_FILES_FAILED",
      "The agent ended the files stream before the copy was complete",
      "Run with --verbose (or KFWD_DEBUG=agent) to see the agent's reason.",
    );

  function apply(f: () => void, path: string): boolean {
    try {
      f();
      return true;
    } catch (error) {
      if (!(error instanceof HostPathError)) throw error;
      counters.refused++;
      hooks.refused(path, error.message);
      return false;
    }
  }
  async function applyAsync(f: () => Promise<void>, path: string): Promise<boolean> {
    try {
      await f();
      return true;
    } catch (error) {
      if (!(error instanceof HostPathError)) throw error;
      counters.refused++;
      hooks.refused(path, error.message);
      return false;
    }
  }
}
