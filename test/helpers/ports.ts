/**
 * Loopback ports for tests that need a fixed one (a `[[forward]]`'s `local`).
 * They come from below the kernel's ephemeral range: a port in that range can be taken at any moment as the
 * local end of an outgoing connection (the lab's API server, etcd and kubelet hold hundreds on loopback), and a
 * listener cannot share its port with a connected socket that was not bound with SO_REUSEADDR.
 */
import { createServer } from "node:net";
import { ephemeralRange } from "../../src/proxy/port-taken";

const LOWEST = 20000;
const handedOut = new Set<number>();

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** A port on 127.0.0.1 that is free now, below the ephemeral range, and not handed out before in this process. */
export async function freePort(): Promise<number> {
  const end = Math.max(ephemeralRange()?.first ?? 32768, LOWEST + 1000);
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * (end - LOWEST));
    if (handedOut.has(port) || !(await canListen(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free loopback port between ${LOWEST} and ${end} after 100 tries`);
}
