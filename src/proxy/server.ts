/** The listening socket shared by the SOCKS5 and HTTP proxies: loopback by default, tracks its connections. */
import net from "node:net";
import { formatHostPort } from "../../wire/net";
import { KfwdError } from "../errors";
import { admitOwner } from "./owner";
import { portTakenHint } from "./port-taken";

export interface ProxyServer {
  readonly host: string;
  readonly port: number;
  /** Client connections currently open. */
  readonly connections: number;
  /** Stops listening and ends every open connection (and so, through splice, its upstream). */
  close(): Promise<void>;
}

export const DEFAULT_PROXY_HOST = "127.0.0.1";

export interface ListenOptions {
  /** Default 127.0.0.1: a proxy into the cluster must not be open to the network by accident. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Names the proxy in error messages ("SOCKS5 proxy"). */
  name: string;
  onConnection: (socket: net.Socket) => void;
}

/** Bun (1.4.5) sometimes destroys a socket without emitting 'close': such entries are dropped here too. */
function forgetDestroyed(sockets: Set<net.Socket>): void {
  for (const socket of sockets) if (socket.destroyed) sockets.delete(socket);
}

export function listen(options: ListenOptions): Promise<ProxyServer> {
  const host = options.host ?? DEFAULT_PROXY_HOST;
  const sockets = new Set<net.Socket>();
  // allowHalfOpen: a client's FIN ends only its direction; splice() decides when to end ours.
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    forgetDestroyed(sockets);
    if (!admitOwner(socket, options.name)) return;
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    // Errors on a client socket (resets, mostly) end that connection only; the handlers see them via 'close'.
    socket.on("error", () => {});
    socket.setNoDelay(true);
    options.onConnection(socket);
  });

  return new Promise((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) => {
      const where = formatHostPort({ host, port: options.port ?? 0 });
      reject(
        new KfwdError(
          "KFWD_PROXY_LISTEN",
          `Cannot start the ${options.name} on "${where}": ${err.code ?? err.message}`,
          err.code === "EADDRINUSE"
            ? portTakenHint(options.port ?? 0, "Pick another port, or 0 to let kfwd choose a free one.")
            : undefined,
          { cause: err },
        ),
      );
    });
    server.listen({ host, port: options.port ?? 0 }, () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : (options.port ?? 0);
      let closing: Promise<void> | undefined;
      resolve({
        host,
        port,
        get connections() {
          forgetDestroyed(sockets);
          return sockets.size;
        },
        close() {
          closing ??= new Promise<void>((done) => {
            server.close(() => done());
            for (const socket of sockets) socket.destroy();
          });
          return closing;
        },
      });
    });
  });
}

/** How long a refused client may keep its side open after our final reply before it is dropped. */
const LINGER_MS = 2_000;

/**
 * Sends a final reply and closes. end() rather than destroy() so the reply is not lost to a reset; input is
 * drained and the socket destroyed once the client closes too, or after LINGER_MS at the latest.
 */
export function endWith(socket: net.Socket, data?: Uint8Array | string): void {
  if (socket.destroyed) return;
  socket.removeAllListeners("data");
  socket.removeAllListeners("readable"); // a pull reader would otherwise keep the input from draining
  socket.on("data", () => {});
  socket.once("end", () => socket.destroy());
  socket.resume();
  if (data === undefined) socket.end();
  else socket.end(data);
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}
