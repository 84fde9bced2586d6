/** The background session's side of the control protocol (control.ts): answers status/env, and stop. */
import { chmodSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { KfwdError } from "../errors";
import { CONTROL_VERSION, type ControlReplies, type ControlRequest } from "./control";

export interface ControlHandlers {
  status(): ControlReplies["status"];
  env(): ControlReplies["env"];
  /** Called after the reply is written, so the asking command hears "stopping" before the socket goes. */
  stop(): void;
}

/** A request line may not exceed this: the protocol has no large requests, so more is garbage. */
const MAX_REQUEST = 4096;

export async function serveControl(path: string, handlers: ControlHandlers): Promise<{ close(): Promise<void> }> {
  // A socket file left by a killed session would make listen fail with EADDRINUSE; the caller has already
  // made sure no live session owns it (the start lock, and the state check before it).
  rmSync(path, { force: true });
  const server: Server = createServer((socket) => handle(socket, handlers));
  // umask rather than chmod afterwards: there is no moment at which the socket is open to others.
  const oldMask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", (e) =>
        reject(
          new KfwdError(
            "KFWD_CONTROL_LISTEN_FAILED",
            `Cannot listen on the control socket "${path}": ${e.message}`,
            "Check that the state directory is writable.",
          ),
        ),
      );
      server.listen(path, () => resolve());
    });
  } finally {
    process.umask(oldMask);
  }
  chmodSync(path, 0o600);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        rmSync(path, { force: true });
      }),
  };
}

function handle(socket: Socket, handlers: ControlHandlers): void {
  let buffer = "";
  socket.setEncoding("utf8");
  socket.on("error", () => socket.destroy());
  socket.on("data", (chunk: string) => {
    buffer += chunk;
    const end = buffer.indexOf("\n");
    if (end === -1) {
      if (buffer.length > MAX_REQUEST) socket.destroy();
      return;
    }
    socket.removeAllListeners("data");
    const reply = answer(buffer.slice(0, end), handlers);
    socket.end(`${JSON.stringify(reply.body)}\n`, () => reply.after?.());
  });
}

function answer(line: string, handlers: ControlHandlers): { body: object; after?: () => void } {
  let request: { v?: unknown; op?: unknown };
  try {
    request = JSON.parse(line) as typeof request;
  } catch {
    return { body: { v: CONTROL_VERSION, ok: false, error: "not JSON" } };
  }
  if (request.v !== CONTROL_VERSION)
    return { body: { v: CONTROL_VERSION, ok: false, error: `unsupported version ${String(request.v)}` } };
  const op = request.op as ControlRequest["op"];
  switch (op) {
    case "status":
      return { body: { v: CONTROL_VERSION, ok: true, ...handlers.status() } };
    case "env":
      return { body: { v: CONTROL_VERSION, ok: true, ...handlers.env() } };
    case "stop":
      return { body: { v: CONTROL_VERSION, ok: true, stopping: true }, after: () => handlers.stop() };
    default:
      return { body: { v: CONTROL_VERSION, ok: false, error: `unknown op ${JSON.stringify(op)}` } };
  }
}
