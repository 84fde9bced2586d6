/**
 * The control protocol between kfwd commands and a background session: one JSON request line over the
 * session's unix socket, one JSON reply line, then the connection closes. The socket lives in the private
 * state directory and is 0600; it hands out the env (with proxy credentials), so nothing else may reach it.
 */
import { createConnection } from "node:net";
import type { CapabilityReport } from "../capabilities/capability";
import type { EnvRewrite } from "../env/pipeline";
import type { LinkStats, TunnelState } from "./tunnel";

/** Bumped when a request or reply changes shape; a reply with another version is reported, not misread. */
export const CONTROL_VERSION = 1;

export type ControlRequest = { op: "status" } | { op: "env" } | { op: "stop" };

export interface SessionStats {
  pid: number;
  state: TunnelState;
  /** Where the agent runs now ("local agent in netns \"lab\", pid 4242"). */
  agent: string;
  uptimeMs: number;
  openStreams: number;
  bytesSent: number;
  bytesReceived: number;
  rttMs: number | undefined;
  reconnects: number;
  /** The links to the agent (exec, and port-forward when allowed), first one first: which carries streams. */
  links?: LinkStats[];
  /** Live figures of the capabilities that keep any (e.g. connections per incoming rule), by name. */
  capabilities: Record<string, CapabilityReport>;
}

export interface ControlReplies {
  status: { stats: SessionStats };
  env: { env: Record<string, string>; rewrites: EnvRewrite[] };
  stop: { stopping: true };
}

/** Why a request got no answer: `dead` (no one listens: the process is gone), `timeout` (wedged), `protocol`. */
export class ControlError extends Error {
  override readonly name = "ControlError";
  constructor(
    readonly kind: "dead" | "timeout" | "protocol",
    message: string,
  ) {
    super(message);
  }
}

export function controlRequest<O extends ControlRequest["op"]>(
  socket: string,
  op: O,
  timeoutMs = 3000,
): Promise<ControlReplies[O]> {
  return new Promise((resolve, reject) => {
    const conn = createConnection({ path: socket });
    let buffer = "";
    const fail = (error: ControlError): void => {
      clearTimeout(timer);
      conn.destroy();
      reject(error);
    };
    const timer = setTimeout(
      () => fail(new ControlError("timeout", `no answer from ${socket} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    conn.setEncoding("utf8");
    conn.once("connect", () => conn.write(`${JSON.stringify({ v: CONTROL_VERSION, op })}\n`));
    conn.on("data", (chunk: string) => {
      buffer += chunk;
      const end = buffer.indexOf("\n");
      if (end === -1) return;
      clearTimeout(timer);
      conn.end();
      try {
        resolve(parseReply<O>(buffer.slice(0, end)));
      } catch (e) {
        reject(e);
      }
    });
    conn.once("error", (e: NodeJS.ErrnoException) => {
      const dead = e.code === "ENOENT" || e.code === "ECONNREFUSED" || e.code === "ENOTSOCK";
      fail(new ControlError(dead ? "dead" : "protocol", `${socket}: ${e.message}`));
    });
    conn.once("close", () => fail(new ControlError("dead", `${socket} closed without an answer`)));
  });
}

function parseReply<O extends ControlRequest["op"]>(line: string): ControlReplies[O] {
  let reply: { v?: unknown; ok?: unknown; error?: unknown };
  try {
    reply = JSON.parse(line) as typeof reply;
  } catch {
    throw new ControlError("protocol", "the session answered something that is not JSON");
  }
  if (reply.v !== CONTROL_VERSION)
    throw new ControlError(
      "protocol",
      `the session speaks control version ${String(reply.v)}, this kfwd ${CONTROL_VERSION}`,
    );
  if (reply.ok !== true) throw new ControlError("protocol", `the session refused: ${String(reply.error)}`);
  return reply as unknown as ControlReplies[O];
}
