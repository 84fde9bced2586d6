/** Bench servers on loopback: a sink (counts bytes, answers the count on half-close), an echo, a source. */
import { createServer } from "node:net";

const sink = createServer((s) => {
  let n = 0;
  s.on("data", (d) => (n += d.length));
  s.on("end", () => s.end(String(n)));
  s.on("error", () => {});
});
const echo = createServer({ noDelay: true }, (s) => {
  s.pipe(s);
  s.on("error", () => {});
});
// Source: reads a decimal byte count terminated by "\n", sends that many bytes, closes.
const chunk = Buffer.alloc(1 << 20, 7);
const source = createServer((s) => {
  s.once("data", (d) => {
    let left = Number(d.toString().trim());
    const pump = (): void => {
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        left -= n;
        if (!s.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void s.once("drain", pump);
      }
      s.end();
    };
    pump();
  });
  s.on("error", () => {});
});
const host = process.argv[2] ?? "127.0.0.1";
const listen = (server: ReturnType<typeof createServer>): Promise<number> =>
  new Promise((r) => server.listen(0, host, () => r((server.address() as { port: number }).port)));
console.log(JSON.stringify({ sink: await listen(sink), echo: await listen(echo), source: await listen(source) }));
