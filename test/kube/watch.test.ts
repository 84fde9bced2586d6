import { expect, test } from "bun:test";
import { readWatchStream, type WatchEvent } from "../../src/kube/watch";

const encode = (s: string) => new TextEncoder().encode(s);
const statusError = () => new Error("status");

test("events split across chunks arrive whole; the last resourceVersion is kept", async () => {
  const text = `${JSON.stringify({ type: "ADDED", object: { metadata: { resourceVersion: "7" } } })}\n\n${JSON.stringify({ type: "MODIFIED", object: { metadata: { resourceVersion: "8" } } })}`;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      for (let i = 0; i < text.length; i += 5) c.enqueue(encode(text.slice(i, i + 5)));
      c.close();
    },
  });
  const seen: WatchEvent[] = [];
  expect(await readWatchStream<Record<string, unknown>>(body, (e) => seen.push(e), undefined, statusError)).toEqual({
    resourceVersion: "8",
  });
  expect(seen.map((e) => e.type)).toEqual(["ADDED", "MODIFIED"]);
});

test("a server that never ends its line is an error, not unbounded memory", async () => {
  const chunk = encode("x".repeat(64 * 1024));
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(c) {
      // Endless, as long as the reader keeps reading: only a cap ends this.
      if (sent++ < 1000) c.enqueue(chunk);
    },
  });
  await expect(readWatchStream(body, () => {}, undefined, statusError)).rejects.toThrow("longer than");
});
