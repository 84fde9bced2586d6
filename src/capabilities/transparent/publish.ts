/**
 * Ports the command listens on inside its namespace are published on the host's loopback under the same
 * number, so the host (a browser, curl, kfwd's incoming traffic) reaches the app as if it ran outside.
 * The namespace's listening sockets are polled: there is no event for "a process started listening".
 */
import { createServer, type Server } from "node:net";
import type { Duplex } from "node:stream";
import { splice } from "../../proxy/splice";

const POLL_MS = 300;

export interface PublishOptions {
  listening(): number[];
  open(port: number): Promise<Duplex>;
  onPublished(port: number, ok: boolean): void;
  onUnpublished(port: number): void;
  log(message: string): void;
}

/** Starts polling; returns what stops it and closes every published listener. */
export function publishPorts(options: PublishOptions): () => void {
  const servers = new Map<number, Server | undefined>();
  const poll = (): void => {
    const now = new Set(options.listening());
    for (const port of now) if (!servers.has(port)) publish(port);
    for (const [port, server] of servers) {
      if (now.has(port)) continue;
      servers.delete(port);
      server?.close();
      if (server) options.onUnpublished(port);
    }
  };
  const publish = (port: number): void => {
    servers.set(port, undefined); // tried once while it listens, even if the host port is taken
    const server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
      socket.pause();
      options.open(port).then(
        (stream) => void splice(socket, stream),
        (error: Error) => {
          options.log(`published port ${port}: ${error.message}`);
          socket.resetAndDestroy();
        },
      );
    });
    server.once("error", () => options.onPublished(port, false));
    server.listen(port, "127.0.0.1", () => {
      if (!servers.has(port)) return void server.close();
      servers.set(port, server);
      options.onPublished(port, true);
    });
  };
  const timer = setInterval(poll, POLL_MS);
  poll();
  return () => {
    clearInterval(timer);
    for (const server of servers.values()) server?.close();
    servers.clear();
  };
}
