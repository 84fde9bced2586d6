import { createServer, type Server, type Socket } from "node:net";
import { KfwdError } from "../../errors";
import { type Destination, dialOutcome } from "../../proxy/dialer";
import { admitOwner } from "../../proxy/owner";
import { splice } from "../../proxy/splice";
import { portTakenHint } from "../../proxy/port-taken";
import type { Tunnel } from "../../session/tunnel";

export interface ForwardSpec {
  name?: string | undefined;
  listen: { host: string; port: number };
  to: Destination;
}

export interface RunningForward {
  readonly spec: ForwardSpec;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * A port on the host that leads to one address in the cluster: for clients that ignore proxy variables
 * (psql, redis-cli, most database drivers). Each accepted connection becomes one stream through the agent,
 * opened early: the client's first bytes go with the OPEN, and a refused dial resets the accepted connection
 * (it is already accepted either way, so the client sees the same thing as when kfwd waited).
 */
export async function startForward(
  spec: ForwardSpec,
  tunnel: Tunnel,
  log: (msg: string) => void,
  onDialError?: (error: unknown, forward: { spec: ForwardSpec; port: number }) => void,
): Promise<RunningForward> {
  const sockets = new Set<Socket>();
  let port = spec.listen.port;
  // allowHalfOpen: a client's FIN ends only its direction (splice passes it on); the reply still comes back.
  const server: Server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    if (!admitOwner(socket, `forward ${describe(spec)}`)) return;
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.pause();
    const failed = (error: unknown) => {
      log(`forward ${describe(spec)}: ${error instanceof Error ? error.message : String(error)}`);
      onDialError?.(error, { spec, port });
      socket.destroy();
    };
    tunnel.dial(spec.to, undefined, { early: true }).then((stream) => {
      void dialOutcome(stream).then((error) => error !== undefined && failed(error));
      void splice(socket, stream);
    }, failed);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        new KfwdError(
          "KFWD_FORWARD_LISTEN_FAILED",
          `Cannot listen on ${spec.listen.host}:${spec.listen.port} for forward ${describe(spec)}: ${error.code === "EADDRINUSE" ? "the port is in use" : error.message}`,
          error.code === "EADDRINUSE"
            ? portTakenHint(spec.listen.port, "Pick another `local` port in the profile's [[forward]].")
            : "Use a loopback address this machine has, such as 127.0.0.1.",
        ),
      ),
    );
    server.listen(spec.listen.port, spec.listen.host, () => resolve());
  });
  const address = server.address();
  port = typeof address === "object" && address ? address.port : spec.listen.port;
  return {
    spec,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function describe(spec: ForwardSpec): string {
  return spec.name ?? `${spec.to.host}:${spec.to.port}`;
}
