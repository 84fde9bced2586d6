/** Reading a watch response: one JSON event per line. */
import type { KubeStatus } from "./api-errors";

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
  const decoder = new TextDecoder();
  let buffered = "";
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
      buffered += decoder.decode(chunk.value, { stream: true });
      for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        handle(line);
      }
    }
    if (!signal?.aborted) handle(buffered);
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
