/**
 * Request/response calls (CALL/REPLY frames). A method is a name plus a JSON body; a peer advertises each
 * method it answers as the capability "call:<method>", so adding a call needs a handler and a capability, no
 * new frame type. Bodies larger than one frame continue in further frames flagged MORE.
 */
import { KfwdError } from "./kfwd-error";
import { isWireErrorCode } from "./error-codes";
import { Flag, FrameType, MAX_CALL_BODY, MAX_PAYLOAD } from "./constants";
import { decodeCallHead, encodeCallHead } from "./payloads";
import { wireProtocolError } from "./errors";
import type { IncomingStartParams, InterceptPortStats } from "./intercept";

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Every call method: its params and its result. Add new methods here (and a capability) — nothing else. */
export interface CallMap {
  /** Resolve a name with the agent's system resolver (the pod's /etc/resolv.conf and search domains). */
  resolve: { params: { name: string; family?: 0 | 4 | 6 }; result: { addresses: ResolvedAddress[] } };
  /** The agent process's own environment. */
  env: { params: Record<string, never>; result: { env: Record<string, string> } };
  /** The environment of a process the agent can see: `pid`, or the target container's main process
   *  (an ephemeral agent shares the target's PID namespace). Capability "call:processEnv". */
  processEnv: { params: { pid?: number }; result: { pid: number; command: string; env: Record<string, string> } };
  /** Take a Service's traffic (listen, then switch its selector or scale the workload): [incoming]. */
  incomingStart: { params: IncomingStartParams; result: { listening: number[] } };
  /** Give it back (the last session restores the Service, replace the workload) and stop listening. */
  incomingStop: { params: Record<string, never>; result: { restored: string[] } };
  /** Counters per port. */
  incomingStats: { params: Record<string, never>; result: { ports: InterceptPortStats[] } };
  /** The target container's volume mounts, and whose files the agent reads (FilesView).
   *  Capability "call:filesMounts". */
  filesMounts: { params: Record<string, never>; result: { mounts: TargetMount[]; view: FilesView } };
  /** Listen on the pod's loopback for a second link that presents `secret` (hex), §12. Capability "call:linkListen". */
  linkListen: { params: { secret: string }; result: { port: number } };
}

/** One volume mount of the target container, as its pod spec states it (`type`: the volume's source key). */
export interface TargetMount {
  path: string;
  volume: string;
  /** "configMap", "secret", "projected", "downwardAPI", "emptyDir", "persistentVolumeClaim", ... */
  type: string;
  readOnly: boolean;
  subPath?: string;
}

/**
 * Whose files an agent reads: "target" — the target container's, through /proc/<pid>/root (an ephemeral agent);
 * "separate" — none of the target's, it runs in a pod of its own (placement "pod"); "own" — its own filesystem
 * (a local agent, a targetless agent pod).
 */
export type FilesView = "target" | "separate" | "own";

export type CallMethod = keyof CallMap;

export type CallHandlers = {
  [M in CallMethod]: (params: CallMap[M]["params"]) => CallMap[M]["result"] | Promise<CallMap[M]["result"]>;
};

/** The error a failed call carries across the wire. */
interface WireCallError {
  code: string;
  message: string;
  hint?: string;
}

type Send = (type: number, flags: number, id: number, payload: Uint8Array) => void;

/** Splits `body` into frames: the first carries the head, every frame but the last is flagged MORE. */
function sendBody(send: Send, type: number, baseFlags: number, id: number, body: Buffer): void {
  if (body.length > MAX_CALL_BODY)
    throw new KfwdError(
      "KFWD_CALL_TOO_LARGE",
      `Cannot send a call body of ${body.length} bytes: the limit is ${MAX_CALL_BODY}`,
    );
  let offset = 0;
  do {
    const end = Math.min(body.length, offset + MAX_PAYLOAD);
    send(type, baseFlags | (end < body.length ? Flag.MORE : 0), id, body.subarray(offset, end));
    offset = end;
  } while (offset < body.length);
}

/** Collects continued bodies per id. */
class Reassembly {
  private readonly parts = new Map<number, { chunks: Buffer[]; size: number }>();

  /** Returns the whole body once a frame without MORE arrives. */
  add(id: number, flags: number, payload: Buffer): Buffer | undefined {
    const entry = this.parts.get(id);
    const more = (flags & Flag.MORE) !== 0;
    if (!entry && !more) return payload;
    const next = entry ?? { chunks: [], size: 0 };
    next.chunks.push(Buffer.from(payload));
    next.size += payload.length;
    if (next.size > MAX_CALL_BODY) throw wireProtocolError(`call ${id} body exceeds ${MAX_CALL_BODY} bytes`);
    if (more) {
      this.parts.set(id, next);
      return undefined;
    }
    this.parts.delete(id);
    return Buffer.concat(next.chunks, next.size);
  }
}

/**
 * The error a REPLY carried, checked where it enters: a code this build does not know (a foreign or mismatched
 * peer; the agent is normally the same build) becomes KFWD_CALL_FAILED naming the peer's code, so every code
 * kfwd reports is one of its own, documented in docs/errors.md.
 */
function replyError(e: Partial<WireCallError>, method: string): KfwdError {
  const message = typeof e.message === "string" ? e.message : `Call "${method}" failed`;
  const hint = typeof e.hint === "string" ? e.hint : undefined;
  if (isWireErrorCode(e.code)) return new KfwdError(e.code, message, hint);
  const named = e.code === undefined ? "" : ` (the peer's code: ${String(e.code)})`;
  return new KfwdError("KFWD_CALL_FAILED", `${message}${named}`, hint);
}

export class CallEndpoint {
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void; method: string }
  >();
  private readonly incomingCalls = new Reassembly();
  private readonly incomingReplies = new Reassembly();

  constructor(
    private readonly send: Send,
    private readonly handlers: Partial<CallHandlers>,
    private readonly log: (msg: string) => void,
  ) {}

  /** Methods we answer, as capabilities for our HELLO. */
  methods(): string[] {
    return Object.keys(this.handlers);
  }

  call(method: string, params: unknown): Promise<unknown> {
    const id = this.nextId;
    this.nextId = this.nextId >= 0xffff_ffff ? 1 : this.nextId + 1;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      try {
        sendBody(this.send, FrameType.CALL, 0, id, encodeCallHead(method, Buffer.from(JSON.stringify(params ?? {}))));
      } catch (error) {
        this.pending.delete(id);
        reject(error as Error);
      }
    });
  }

  handleCall(id: number, flags: number, payload: Buffer): void {
    const whole = this.incomingCalls.add(id, flags, payload);
    if (!whole) return;
    const { method, body } = decodeCallHead(whole);
    void this.answer(id, method, body);
  }

  handleReply(id: number, flags: number, payload: Buffer): void {
    const whole = this.incomingReplies.add(id, flags, payload);
    if (!whole) return;
    const waiter = this.pending.get(id);
    if (!waiter) return; // the caller gave up (session closing); nothing to do
    this.pending.delete(id);
    let parsed: unknown;
    try {
      parsed = JSON.parse(whole.toString("utf8"));
    } catch {
      waiter.reject(wireProtocolError(`reply to "${waiter.method}" is not JSON`, whole));
      return;
    }
    if (flags & Flag.ERROR) {
      waiter.reject(replyError(parsed as Partial<WireCallError>, waiter.method));
    } else {
      waiter.resolve(parsed);
    }
  }

  /** The session ended: every waiting call fails with `error`. */
  failAll(error: Error): void {
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }

  private async answer(id: number, method: string, body: Buffer): Promise<void> {
    let reply: Buffer;
    let flags = 0;
    try {
      const handler = (this.handlers as Record<string, ((params: unknown) => unknown) | undefined>)[method];
      if (!handler)
        throw new KfwdError("KFWD_CALL_UNSUPPORTED", `Cannot call "${method}": the peer does not know this method`);
      const result = await handler(JSON.parse(body.toString("utf8")) as unknown);
      reply = Buffer.from(JSON.stringify(result ?? null));
    } catch (error) {
      flags = Flag.ERROR;
      const e: WireCallError =
        error instanceof KfwdError
          ? { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) }
          : {
              code: "KFWD_CALL_FAILED",
              message: `Call "${method}" failed: ${(error as Error)?.message ?? String(error)}`,
            };
      if (!(error instanceof KfwdError)) this.log(`call ${method} failed: ${(error as Error)?.stack ?? String(error)}`);
      reply = Buffer.from(JSON.stringify(e));
    }
    try {
      sendBody(this.send, FrameType.REPLY, flags, id, reply);
    } catch (error) {
      sendBody(
        this.send,
        FrameType.REPLY,
        Flag.ERROR,
        id,
        Buffer.from(JSON.stringify({ code: "KFWD_CALL_TOO_LARGE", message: (error as Error).message })),
      );
    }
  }
}
