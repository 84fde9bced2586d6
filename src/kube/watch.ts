/** Reading a watch response: one JSON event per line. */
import { LineSplitter } from "../text/lines";
import type { KubeStatus } from "./api-errors";

/** An event is one object in JSON; the API server stores objects of up to ~1.5 MiB, so this leaves room. */
const MAX_EVENT = 4 * 1024 * 1024;

export interface WatchEvent<T = Record<string, unknown>> {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK";
  object: T;
}

export async function readWatchStream<T>(
  body: ReadableStream<Uint8Array>,
  onEvent: (event: WatchEvent<T>) => void,
  signal: AbortSignal | undefined,
  onErrorStatus: (status: KubeStatus) => Error,
): Promise<{ resourceVersion?: string }> {
  const reader = body.getReader();
  const lines = new LineSplitter({ maxLine: MAX_EVENT, overflow: "error" });
  let resourceVersion: string | undefined;
  const onAbort = () => void reader.cancel().catch(() => {});
  signal?.addEventListener("abort", onAbort, { once: true });
  const handle = (line: string) => {
    if (line.trim() === "") return;
    const ev = JSON.parse(line) as { type: string; object: T & { metadata?: { resourceVersion?: string } } };
    if (ev.type === "ERROR") throw onErrorStatus(ev.object as KubeStatus);
    const rv = ev.object?.metadata?.resourceVersion;
    if (rv) resourceVersion = rv;
    onEvent(ev as WatchEvent<T>);
  };
  try {
    for (;;) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (e) {
        if (signal?.aborted) break;
        throw e;
      }
      if (chunk.done) break;
      for (const line of lines.push(chunk.value)) handle(line);
    }
    if (!signal?.aborted) handle(lines.flush() ?? "");
  } finally {
    signal?.removeEventListener("abort", onAbort);
    try {
      reader.releaseLock();
    } catch {
      // a pending read after cancel: nothing to release
    }
  }
  return resourceVersion ? { resourceVersion } : {};
}
