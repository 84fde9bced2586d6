/**
 * The host end of transparent mode: a unix socket in the private state directory that the helper inside the
 * command's namespaces connects to (inside.ts). Over it runs the wire protocol: the helper opens a stream per
 * captured connection, which is dialled through the tunnel; its `resolve` calls go to the agent; and every port
 * the command listens on inside gets a listener on the host's loopback that reaches it.
 */
import { chmodSync, readFileSync, rmSync } from "node:fs";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { DIAL_KIND, type IncomingOpen, Mux, ResetReason, resetReasonForDial } from "../../../wire/index";
import { streamTransport } from "../../../wire/stream-transport";
import { splice } from "../../proxy/splice";
import type { Tunnel } from "../../session/tunnel";
import { publishPorts } from "./publish";

/** A stream the helper opens for one of the session's own ports on the host's loopback (not a cluster dial). */
export const LOOPBACK_KIND = "loopback";

export interface Relay {
  readonly path: string;
  /** Connections captured so far, and ports published for the command. */
  stats(): { connections: number; published: number[] };
  close(): Promise<void>;
}

export async function startRelay(
  tunnel: Tunnel,
  path: string,
  log: (message: string) => void,
  warn: (message: string) => void,
): Promise<Relay> {
  const helpers = new Set<{ mux: Mux; stopPublishing: () => void }>();
  let connections = 0;
  const published = new Set<number>();
  const dial = (open: IncomingOpen): void => {
    if (open.kind === LOOPBACK_KIND) return loopback(open, log);
    connections++;
    tunnel.dial(open.target).then(
      (stream) => {
        void splice(open.accept(), stream, { log, label: `transparent ${open.target.host}` });
      },
      (error: Error) => {
        log(`transparent ${open.target.host}:${open.target.port}: ${error.message}`);
        open.reject(resetReasonForDial(error), error.message);
      },
    );
  };
  const server: Server = createServer((socket: Socket) => {
    const mux = new Mux(streamTransport(socket, socket), {
      role: "agent",
      keepaliveMs: 0,
      onStream: dial,
      streamKinds: [DIAL_KIND, LOOPBACK_KIND],
      handlers: { resolve: (params) => tunnel.call("resolve", params) },
    });
    const entry = { mux, stopPublishing: () => {} };
    helpers.add(entry);
    void mux.ready.then((hello) => {
      const pid = Number(hello.info.pid);
      const own = new Set((hello.info.ownPorts ?? "").split(",").map(Number));
      entry.stopPublishing = publishPorts({
        listening: () => listeningPorts(pid).filter((p) => !own.has(p) && p !== 53),
        open: (port) => mux.open({ host: "127.0.0.1", port }),
        onPublished: (port, ok) => {
          if (ok) published.add(port);
          else warn(`The command listens on port ${port}, but that port is taken on this machine: not published.`);
        },
        onUnpublished: (port) => published.delete(port),
        log,
      });
    });
    void mux.closed.then(() => {
      entry.stopPublishing();
      helpers.delete(entry);
    });
  });
  rmSync(path, { force: true });
  const mask = process.umask(0o177); // never open to others, not even for a moment
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(path, () => resolve());
    });
  } finally {
    process.umask(mask);
  }
  chmodSync(path, 0o600);
  return {
    path,
    stats: () => ({ connections, published: [...published].sort((a, b) => a - b) }),
    close: async () => {
      for (const helper of helpers) {
        helper.stopPublishing();
        helper.mux.close("session ended");
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(path, { force: true });
    },
  };
}

/** TCP ports in LISTEN state in the network namespace of `pid` (its /proc/<pid>/net/tcp and tcp6). */
export function listeningPorts(pid: number): number[] {
  const ports = new Set<number>();
  for (const file of ["tcp", "tcp6"]) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/net/${file}`, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[3] !== "0A") continue; // TCP_LISTEN
      const port = Number.parseInt(fields[1]?.split(":")[1] ?? "", 16);
      if (Number.isInteger(port) && port > 0) ports.add(port);
    }
  }
  return [...ports];
}

function loopback(open: IncomingOpen, log: (message: string) => void): void {
  const socket = createConnection({ host: "127.0.0.1", port: open.target.port, allowHalfOpen: true, noDelay: true });
  socket.once("connect", () => void splice(open.accept(), socket, { log, label: `loopback ${open.target.port}` }));
  socket.once("error", (error) => open.reject(ResetReason.REFUSED, error.message));
}
