/** A client and an agent Mux joined by an in-memory transport pair. */
import { Mux, type IncomingOpen, type MuxOptions } from "../../wire/mux";
import type { Readable } from "node:stream";
import { memoryTransportPair } from "../../src/transport/memory";

export function muxPair(
  agent: Partial<MuxOptions> = {},
  client: Partial<MuxOptions> = {},
  highWaterMark?: number,
  delayMs?: number,
) {
  const [clientEnd, agentEnd] = memoryTransportPair(highWaterMark, delayMs);
  const agentMux = new Mux(agentEnd, { role: "agent", ...agent });
  const clientMux = new Mux(clientEnd, { role: "client", keepaliveMs: 0, ...client });
  return { client: clientMux, agent: agentMux, clientEnd, agentEnd };
}

/** Agent-side handler: accept every stream and echo it, ending after the peer ends. */
export function echo(): (request: IncomingOpen) => void {
  return (request) => {
    const stream = request.accept();
    stream.pipe(stream);
  };
}

export function readAll(stream: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.once("end", () => resolve(Buffer.concat(chunks)));
    stream.once("error", reject);
  });
}

export const tick = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
