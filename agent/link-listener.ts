/**
 * A second link to kfwd over the pod's loopback (docs/wire-protocol.md §12): on the `linkListen` call the agent
 * listens on 127.0.0.1 (a port the kernel picks) and takes the first TCP connection that presents the session
 * secret kfwd sent in that call — kfwd reaches it through the `pods/portforward` subresource, which skips the
 * container's stdio pipes and the runtime shim that limit the exec stream. A connection with a wrong secret is
 * closed before anything is served; the listener closes once one link is up (a new call starts another).
 */
import { timingSafeEqual } from "node:crypto";
import { createServer, type Server, type Socket } from "node:net";
import type { Mux } from "../wire/mux";
import { LINK_SECRET_BYTES } from "../wire/link";
import { KfwdError } from "../wire/kfwd-error";
import type { Transport } from "../wire/transport";
import { streamTransport } from "../wire/stream-transport";

/** A connection that has not presented the secret within this long is dropped. */
const SECRET_TIMEOUT_MS = 10_000;

export interface LinkListener {
  listen(secretHex: string): Promise<{ port: number }>;
  close(): void;
}

export function linkListener(startMux: (transport: Transport) => Mux, log: (line: string) => void): LinkListener {
  let server: Server | undefined;
  const close = (): void => {
    server?.close();
    server = undefined;
  };
  return {
    close,
    async listen(secretHex) {
      const secret = Buffer.from(secretHex, "hex");
      if (!/^[0-9a-f]+$/i.test(secretHex) || secret.length !== LINK_SECRET_BYTES)
        throw new KfwdError("KFWD_LINK_SECRET", `A link secret is ${LINK_SECRET_BYTES} bytes, hex-encoded`);
      close(); // one pending link at a time: a new secret replaces the old one
      const current = createServer({ noDelay: true }, (socket) =>
        admit(
          socket,
          secret,
          (transport) => {
            if (server === current) close();
            log("link up over the pod's loopback");
            startMux(transport);
          },
          log,
        ),
      );
      server = current;
      await new Promise<void>((resolve, reject) => {
        current.once("error", reject);
        current.listen({ host: "127.0.0.1", port: 0, exclusive: true }, () => resolve());
      });
      const address = current.address();
      if (address === null || typeof address === "string") throw new Error("the link listener has no port");
      return { port: address.port };
    },
  };
}

/** Reads the secret; a match hands the socket (with any bytes read past the secret) to `accept`. */
function admit(socket: Socket, secret: Buffer, accept: (t: Transport) => void, log: (line: string) => void): void {
  let got = Buffer.alloc(0);
  const timer = setTimeout(() => socket.destroy(), SECRET_TIMEOUT_MS);
  socket.on("error", () => {});
  const onData = (chunk: Buffer): void => {
    got = Buffer.concat([got, chunk]);
    if (got.length < secret.length) return;
    clearTimeout(timer);
    socket.off("data", onData);
    socket.pause();
    if (!timingSafeEqual(got.subarray(0, secret.length), secret)) {
      log("refused a link connection: wrong secret");
      socket.destroy();
      return;
    }
    accept(withLeftover(socket, got.subarray(secret.length)));
  };
  socket.on("data", onData);
  socket.once("close", () => clearTimeout(timer));
}

function withLeftover(socket: Socket, leftover: Uint8Array): Transport {
  const base = streamTransport(socket, socket);
  return {
    ...base,
    onData(listener) {
      queueMicrotask(() => {
        if (leftover.length > 0) listener(leftover);
        base.onData(listener);
        socket.resume();
      });
    },
  };
}
