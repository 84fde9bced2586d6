/**
 * A session: one transport carrying many streams, calls and pings (docs/wire-protocol.md). The same class runs
 * on the host (role "client") and in the agent (role "agent"); they differ only in which stream ids they
 * allocate (client odd, agent even) and in who sends keepalive pings.
 */
import { performance } from "node:perf_hooks";
import { DEFAULT_STREAM_WINDOW, Flag, FrameType, MAX_WINDOW, ResetReason } from "./constants";
import {
  AGENT_COLLECT_ABOVE_RSS,
  AGENT_RECEIVE_BUDGET,
  HOST_COLLECT_ABOVE_RSS,
  HOST_RECEIVE_BUDGET,
  MAX_QUEUED_OPENS,
  ReceiveBudget,
  SEND_BUDGET,
  SendBudget,
} from "./budget";
import { FrameDecoder } from "./codec";
import {
  DIAL_KIND,
  decodeHello,
  decodeOpen,
  decodeReason,
  encodeHello,
  encodeOpen,
  encodeReason,
  type OpenDestination,
} from "./payloads";
import { dialError, resetReasonName, sessionClosedError, wireProtocolError } from "./errors";
import { CallEndpoint, type CallHandlers, type CallMap } from "./calls";
import {
  EARLY_DATA_SINCE,
  OPEN_KIND_SINCE,
  PROTOCOL_VERSION,
  callCapability,
  settleVersion,
  streamCapability,
} from "./version";
import { SendScheduler } from "./scheduler";
import { MuxStream, type StreamSession } from "./stream";
import type { Transport } from "./transport";
import { KfwdError } from "./kfwd-error";
import { memoryMoved, startMemoryGuard } from "./memory-guard";

export interface PeerHello {
  /** The settled version: min(ours, theirs). */
  version: number;
  capabilities: string[];
  info: Record<string, string>;
}

/** A stream the peer wants to open; the handler must call exactly one of accept/reject. */
export interface IncomingOpen {
  /** "dial" (connect to `target`), or the kind of stream another capability asked for (wire/payloads.ts). */
  kind: string;
  target: OpenDestination;
  accept(): MuxStream;
  reject(reason: number, message?: string): void;
}

export interface MuxOptions {
  role: "client" | "agent";
  capabilities?: string[];
  onStream?: (req: IncomingOpen) => void;
  /** The kinds of stream `onStream` takes; others are refused. Default: ["dial"] when `onStream` is set. */
  streamKinds?: readonly string[];
  handlers?: Partial<CallHandlers>;
  log?: (msg: string) => void;
  /** The most credit one stream is granted (bytes), when the receive budget is not contended. */
  streamWindow?: number;
  /** The most all streams together may have granted and not consumed (bytes; budget.ts). */
  receiveBudget?: number;
  /** Streams open at once (budget.ts MAX_STREAMS); half the receive budget is kept for their opening windows. */
  maxStreams?: number;
  /** The most bytes queued on streams for the transport (bytes; budget.ts). */
  sendBudget?: number;
  /** Collect garbage early while the process's RSS is above this (bytes; memory-guard.ts; 0: never). */
  collectAboveRss?: number;
  /** Sent in HELLO: who we are (agent version, pid, ...). */
  info?: Record<string, string>;
  /** Ping this often so the agent knows the client is alive (client default 10 s; 0 disables). Lowered to a
   *  third of the agent's advertised idle timeout (HELLO info "idleTimeoutMs"). */
  keepaliveMs?: number;
  /** Highest version to offer; only tests set it, to play an older or newer peer. */
  protocolVersion?: number;
}

const DEFAULT_KEEPALIVE_MS = 10_000;
/** Round trips remembered for the link's delay (a minute of keepalives). */
const RTT_SAMPLES = 6;
/** A stream sizing its window pings again when the last ping is older than this. */
const RTT_REFRESH_MS = 10_000;

export class Mux {
  readonly ready: Promise<PeerHello>;
  readonly closed: Promise<Error | undefined>;
  /** performance.now() when the last bytes arrived (the agent's idle timer reads it). */
  lastReceivedAt = performance.now();

  private readonly role: "client" | "agent";
  private readonly log: (msg: string) => void;
  private readonly receiveBudget: ReceiveBudget;
  private readonly sendBudget: SendBudget;
  /** Opens that wait for room in the receive budget: ours (to fail if the session ends) and the peer's (to drop
   *  if the peer resets them first). */
  private readonly waitingOpens = new Set<(error: Error) => void>();
  private readonly queuedPeerOpens = new Map<number, () => void>();
  private readonly decoder: FrameDecoder;
  private readonly scheduler: SendScheduler;
  private readonly calls: CallEndpoint;
  private readonly streamSession: StreamSession;
  private readonly streams = new Map<number, MuxStream>();
  /** Our OPENs not answered yet; `early` is the stream already handed out (opened with early data). */
  private readonly opening = new Map<
    number,
    { target: OpenDestination; resolve: (s: MuxStream) => void; reject: (e: Error) => void; early?: MuxStream }
  >();
  /** Streams the peer opened that we have not answered yet (version 3: they may carry early data). */
  private readonly unanswered = new Set<number>();
  private readonly pings = new Map<
    number,
    { start: number; resolve: (rtt: number) => void; reject: (e: Error) => void }
  >();
  private nextStreamId: number;
  private lastPeerStreamId = 0;
  private nextPing = 1;
  private peer: (PeerHello & { window: number }) | undefined;
  private resolveReady!: (hello: PeerHello) => void;
  private rejectReady!: (error: Error) => void;
  private resolveClosed!: (error: Error | undefined) => void;
  private ended = false;
  private keepalive: ReturnType<typeof setInterval> | undefined;
  private bytesReceived = 0;
  private rttMs: number | undefined;
  /** Recent ping round trips (ms), newest last: the smallest is the link's own delay (window-sizing.ts). */
  private readonly rttSamples: number[] = [];
  private lastPingAt = Number.NEGATIVE_INFINITY;
  private readonly stopMemoryGuard: () => void;

  constructor(
    private readonly transport: Transport,
    private readonly options: MuxOptions,
  ) {
    this.role = options.role;
    this.log = options.log ?? (() => {});
    this.receiveBudget = new ReceiveBudget({
      total: options.receiveBudget ?? (this.role === "client" ? HOST_RECEIVE_BUDGET : AGENT_RECEIVE_BUDGET),
      streamWindow: Math.min(MAX_WINDOW, Math.max(1024, options.streamWindow ?? DEFAULT_STREAM_WINDOW)),
      ...(options.maxStreams ? { maxStreams: options.maxStreams } : {}),
    });
    this.sendBudget = new SendBudget(options.sendBudget ?? SEND_BUDGET);
    this.stopMemoryGuard = startMemoryGuard(
      options.collectAboveRss ?? (this.role === "client" ? HOST_COLLECT_ABOVE_RSS : AGENT_COLLECT_ABOVE_RSS),
    );
    this.nextStreamId = this.role === "client" ? 1 : 2;
    this.ready = new Promise<PeerHello>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ready.catch(() => {}); // a failed handshake is also reported through `closed`
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    this.scheduler = new SendScheduler(transport);
    this.streamSession = {
      schedule: (stream) => this.scheduler.schedule(stream),
      sendControl: (type, flags, id, payload) => this.scheduler.sendControl(type, flags, id, payload),
      forget: (stream) => {
        if (this.streams.get(stream.id) === stream) this.streams.delete(stream.id);
        // An early stream of ours given up before the peer answered: the peer drops it without an answer (it
        // saw our RESET first), so nothing else would ever remove the pending open.
        const pending = this.opening.get(stream.id);
        if (pending?.early === stream) {
          this.opening.delete(stream.id);
          pending.reject(sessionClosedError(`stream ${stream.id} was given up before the agent answered`));
        }
      },
      receiveBudget: this.receiveBudget,
      sendBudget: this.sendBudget,
      rttMs: () => this.baseRtt(),
      linkWindow: { reached: 0 },
    };
    this.calls = new CallEndpoint(
      (t, f, id, p) => this.scheduler.sendControl(t, f, id, p),
      options.handlers ?? {},
      this.log,
    );
    this.decoder = new FrameDecoder((type, flags, id, payload) => this.onFrame(type, flags, id, payload), {
      splitData: true,
    });

    // HELLO first: a transport may hand over bytes it already read inside onData (the exec stream keeps what
    // arrived before the Mux existed), and what we send on the peer's HELLO (a PING) must follow ours.
    const kinds = this.acceptedKinds();
    const capabilities = [
      ...(options.capabilities ?? []),
      ...this.calls.methods().map(callCapability),
      ...kinds.filter((k) => k !== DIAL_KIND).map(streamCapability),
    ];
    const hello = {
      version: options.protocolVersion ?? PROTOCOL_VERSION,
      window: this.receiveBudget.opening,
      capabilities,
      info: options.info ?? {},
    };
    this.scheduler.sendControl(FrameType.HELLO, 0, 0, encodeHello(hello));

    transport.onData((data) => {
      if (this.ended) return;
      this.lastReceivedAt = performance.now();
      this.bytesReceived += data.length;
      memoryMoved(data.length);
      try {
        this.decoder.push(data);
      } catch (error) {
        this.fail(error instanceof KfwdError ? error : wireProtocolError(String(error)));
      }
    });
    transport.onClose((error) =>
      this.finish(error, sessionClosedError(error ? error.message : "the connection ended")),
    );
  }

  /**
   * Open a stream: by default a dial of `target` by the peer; another kind only if the peer announced it.
   * Resolves once the peer accepted; with `early` (and a peer at version 3) at once, so what is written goes
   * right behind OPEN instead of a round trip later, and a refusal arrives as the stream's error (also
   * the rejection of `stream.connected`).
   */
  async open(
    target: { host: string; port: number },
    kind: string = DIAL_KIND,
    options: { early?: boolean } = {},
  ): Promise<MuxStream> {
    const peer = this.peer ?? (await this.ready);
    if (this.ended) throw sessionClosedError("the session is closed");
    if (kind !== DIAL_KIND && (peer.version < OPEN_KIND_SINCE || !peer.capabilities.includes(streamCapability(kind)))) {
      throw new KfwdError(
        "KFWD_STREAM_UNSUPPORTED",
        `Cannot open a "${kind}" stream: the peer does not take them`,
        "Use matching kfwd and agent builds.",
      );
    }
    if (!this.receiveBudget.tryAdmit()) await this.admission();
    const id = this.nextStreamId;
    if (id > 0xffff_fffd)
      throw new KfwdError(
        "KFWD_WIRE_IDS_EXHAUSTED",
        "Cannot open a stream: stream ids are exhausted",
        "Start a new session.",
      );
    this.nextStreamId += 2;
    const payload = encodeOpen(target, kind);
    // From ACCEPT on, the peer may send our opening window: it was reserved above.
    if (options.early && peer.version >= EARLY_DATA_SINCE) {
      const stream = new MuxStream(this.streamSession, id, this.peer!.window);
      this.track(stream);
      stream.connected = new Promise<void>((resolve, reject) =>
        this.opening.set(id, { target, resolve: () => resolve(), reject, early: stream }),
      );
      stream.connected.catch(() => {}); // the stream's own error reports it too
      this.scheduler.sendControl(FrameType.OPEN, 0, id, payload);
      return stream;
    }
    return new Promise((resolve, reject) => {
      this.opening.set(id, { target, resolve, reject });
      this.scheduler.sendControl(FrameType.OPEN, 0, id, payload);
    });
  }

  async call<M extends keyof CallMap>(method: M, params: CallMap[M]["params"]): Promise<CallMap[M]["result"]> {
    const peer = this.peer ?? (await this.ready);
    if (this.ended) throw sessionClosedError("the session is closed");
    if (!peer.capabilities.includes(callCapability(method))) {
      throw new KfwdError(
        "KFWD_CALL_UNSUPPORTED",
        `Cannot call "${method}": the agent does not offer it`,
        "Update the agent (it is sent by the same kfwd build), or use a newer kfwd.",
      );
    }
    return (await this.calls.call(method, params)) as CallMap[M]["result"];
  }

  async ping(): Promise<number> {
    if (!this.peer) await this.ready;
    if (this.ended) throw sessionClosedError("the session is closed");
    const seq = this.nextPing++;
    const payload = Buffer.alloc(8);
    payload.writeUInt32BE(seq, 4);
    this.lastPingAt = performance.now();
    return new Promise((resolve, reject) => {
      this.pings.set(seq, { start: performance.now(), resolve, reject });
      this.scheduler.sendControl(FrameType.PING, 0, 0, payload);
    });
  }

  /** Where the session's receive budget stands (budget.ts): credit granted and not consumed over all streams,
   *  streams holding a slot, and opens waiting for one. */
  budget(): { used: number; total: number; streams: number; maxStreams: number; waitingOpens: number } {
    const b = this.receiveBudget;
    return { used: b.used, total: b.total, streams: b.admitted, maxStreams: b.maxStreams, waitingOpens: b.queued };
  }

  stats(): { openStreams: number; bytesSent: number; bytesReceived: number; rttMs: number | undefined } {
    return {
      openStreams: this.streams.size,
      bytesSent: this.scheduler.bytesSent,
      bytesReceived: this.bytesReceived,
      rttMs: this.rttMs,
    };
  }

  /** Say goodbye (GOAWAY) and close the transport. Streams still open are reset. */
  close(reason?: string): void {
    if (this.ended) return;
    this.scheduler.sendControl(FrameType.GOAWAY, 0, 0, encodeReason(ResetReason.NORMAL, reason ?? ""));
    this.scheduler.flushNow();
    this.finish(undefined, sessionClosedError(reason ?? "the session was closed"));
    this.transport.close();
  }

  // ---- frames --------------------------------------------------------------------------------------------------

  private onFrame(type: number, flags: number, id: number, payload: Buffer): void {
    if (!this.peer) {
      if (type !== FrameType.HELLO) throw wireProtocolError("the first frame must be HELLO", payload);
      return this.onHello(payload);
    }
    switch (type) {
      case FrameType.DATA: {
        const stream = this.streams.get(id);
        if (stream && !stream.handleData(payload, (flags & Flag.FIN) !== 0)) {
          stream.reset(ResetReason.FLOW_CONTROL, "sent beyond its window");
        }
        return;
      }
      case FrameType.WINDOW_UPDATE:
        this.streams.get(id)?.handleWindowUpdate(payload.readUInt32BE(0));
        return;
      case FrameType.OPEN:
        return this.onOpen(id, payload);
      case FrameType.ACCEPT: {
        const pending = this.opening.get(id);
        if (!pending) return;
        this.opening.delete(id);
        if (pending.early) return pending.resolve(pending.early);
        const stream = new MuxStream(this.streamSession, id, this.peer.window);
        this.track(stream);
        pending.resolve(stream);
        return;
      }
      case FrameType.RESET: {
        const { reason, message } = decodeReason(payload);
        const pending = this.opening.get(id);
        if (pending) {
          this.opening.delete(id);
          const error = dialError(pending.target, reason, message);
          // An early stream gives back its slot when destroyed; otherwise the slot reserved at open is freed here.
          if (pending.early) pending.early.abort(error);
          else this.receiveBudget.leave(this.receiveBudget.opening);
          pending.reject(error);
        } else if (this.queuedPeerOpens.has(id)) {
          this.queuedPeerOpens.get(id)!();
          this.queuedPeerOpens.delete(id);
        } else if (this.unanswered.delete(id)) {
          this.streams.get(id)?.discard(); // the opener gave up before we answered
        } else {
          this.streams.get(id)?.handleReset(reason, message);
        }
        return;
      }
      case FrameType.PING:
        this.scheduler.sendControl(FrameType.PONG, 0, 0, payload);
        return;
      case FrameType.PONG: {
        const seq = payload.readUInt32BE(4);
        const waiter = this.pings.get(seq);
        if (!waiter) return;
        this.pings.delete(seq);
        this.rttMs = performance.now() - waiter.start;
        this.rttSamples.push(this.rttMs);
        if (this.rttSamples.length > RTT_SAMPLES) this.rttSamples.shift();
        waiter.resolve(this.rttMs);
        return;
      }
      case FrameType.CALL:
        return this.calls.handleCall(id, flags, payload);
      case FrameType.REPLY:
        return this.calls.handleReply(id, flags, payload);
      case FrameType.GOAWAY: {
        const { reason, message } = decodeReason(payload);
        const detail = `the peer closed the session (${resetReasonName(reason)}${message ? `: ${message}` : ""})`;
        const error =
          reason === ResetReason.NORMAL
            ? undefined
            : new KfwdError("KFWD_SESSION_CLOSED", `Cannot continue the agent session: ${detail}`);
        this.finish(error, sessionClosedError(detail));
        this.transport.close();
        return;
      }
      case FrameType.HELLO:
        throw wireProtocolError("HELLO sent twice");
    }
  }

  private onHello(payload: Buffer): void {
    const hello = decodeHello(payload);
    const ours = this.options.protocolVersion ?? PROTOCOL_VERSION;
    const version = settleVersion(ours, hello.version);
    if (version === undefined) {
      throw new KfwdError(
        "KFWD_WIRE_VERSION",
        `Cannot talk to the agent: it speaks protocol version ${hello.version}, this kfwd needs at least ${ours}`,
        "Use matching kfwd and agent builds.",
      );
    }
    this.peer = {
      version,
      capabilities: hello.capabilities,
      info: hello.info,
      window: Math.min(MAX_WINDOW, hello.window),
    };
    this.startKeepalive(hello.info);
    // Both sides measure the round trip at once: stream windows are sized from it (window-sizing.ts). Any peer
    // answers PING, so this needs nothing new from it.
    this.ping().catch(() => {});
    this.resolveReady({ version, capabilities: hello.capabilities, info: hello.info });
  }

  private onOpen(id: number, payload: Buffer): void {
    const peerParity = this.role === "client" ? 0 : 1;
    if (id === 0 || id % 2 !== peerParity || id <= this.lastPeerStreamId)
      throw wireProtocolError(`OPEN with invalid stream id ${id}`);
    this.lastPeerStreamId = id;
    const { kind, ...target } = decodeOpen(payload);
    const refuse = (message: string): void =>
      this.scheduler.sendControl(FrameType.RESET, 0, id, encodeReason(ResetReason.REFUSED, message));
    // A kind this side does not take is refused at once, before it takes a slot.
    if (!this.options.onStream || !this.acceptedKinds().includes(kind))
      return refuse(`this side accepts no "${kind}" streams`);
    // A stream needs a slot (its opening window reserved) before it is dialled. An opener that may send data
    // with OPEN (version 3) cannot be kept waiting for one — its data would have nowhere to go — so at the
    // limit it is refused; an older opener waits for a slot.
    const earlyData = this.peer!.version >= EARLY_DATA_SINCE;
    const start = (): void => this.answerOpen(id, kind, target, earlyData);
    if (this.receiveBudget.tryAdmit()) return start();
    if (earlyData || this.receiveBudget.queued >= MAX_QUEUED_OPENS)
      return refuse(`${this.receiveBudget.admitted} streams are open, the most one session holds; try again later`);
    const cancel = this.receiveBudget.whenAdmitted(() => {
      this.queuedPeerOpens.delete(id);
      if (this.ended) return;
      start();
    });
    this.queuedPeerOpens.set(id, () => cancel());
  }

  /** An admitted stream the peer opened, handed to `onStream`, which accepts or rejects it. */
  private answerOpen(id: number, kind: string, target: OpenDestination, earlyData: boolean): void {
    // Since version 3 the opener may send data before our answer: the stream exists from OPEN on and holds
    // it (at most its opening window, reserved at admission), but it is handed out only by accept().
    let early: MuxStream | undefined;
    if (earlyData) {
      early = new MuxStream(this.streamSession, id, this.peer!.window);
      this.track(early);
      this.unanswered.add(id);
    }
    let answered = false;
    const reject = (reason: number, message = ""): void => {
      if (answered || this.ended) return;
      answered = true;
      if (early) {
        if (!this.unanswered.delete(id)) return; // the opener already reset it
        early.discard(); // destroyed, it gives back its slot
      } else {
        this.receiveBudget.leave(this.receiveBudget.opening);
      }
      this.scheduler.sendControl(FrameType.RESET, 0, id, encodeReason(reason, message));
    };
    const accept = (): MuxStream => {
      if (answered) throw new Error(`stream ${id} was already answered`);
      answered = true;
      const stream = early ?? new MuxStream(this.streamSession, id, this.peer!.window);
      if (!early) this.track(stream);
      // Reset by the opener (or over its window) meanwhile: already destroyed, and nothing to answer.
      else if (!this.unanswered.delete(id) || stream.destroyed) return stream;
      if (this.ended) stream.abort(sessionClosedError("the session is closed"));
      else this.scheduler.sendControl(FrameType.ACCEPT, 0, id);
      return stream;
    };
    this.options.onStream?.({ kind, target, accept, reject });
  }

  /** Waits until the receive budget admits one more stream of ours (its opening window reserved). */
  private admission(): Promise<void> {
    if (this.receiveBudget.queued >= MAX_QUEUED_OPENS) {
      return Promise.reject(
        new KfwdError(
          "KFWD_STREAM_LIMIT",
          `Cannot open a stream: ${this.receiveBudget.admitted} are open, the most one session holds (it bounds ` +
            `the session's memory), and ${MAX_QUEUED_OPENS} more are waiting`,
          "Close idle connections (or clients that stopped reading), or start another session.",
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const fail = (error: Error): void => {
        cancel();
        reject(error);
      };
      const cancel = this.receiveBudget.whenAdmitted(() => {
        this.waitingOpens.delete(fail);
        if (this.ended) return reject(sessionClosedError("the session is closed"));
        resolve();
      });
      this.waitingOpens.add(fail);
    });
  }

  /** The link's round trip: the smallest of the recent pings (bulk data queued ahead of a PONG only adds to
   *  it). Pings again when the last one is older than RTT_REFRESH_MS (the agent has no keepalive). */
  private baseRtt(): number | undefined {
    if (!this.ended && performance.now() - this.lastPingAt > RTT_REFRESH_MS) this.ping().catch(() => {});
    return this.rttSamples.length > 0 ? Math.min(...this.rttSamples) : undefined;
  }

  private acceptedKinds(): readonly string[] {
    return this.options.streamKinds ?? (this.options.onStream ? [DIAL_KIND] : []);
  }

  private track(stream: MuxStream): void {
    this.streams.set(stream.id, stream);
    stream.once("close", () => this.streamSession.forget(stream));
  }

  private startKeepalive(info: Record<string, string>): void {
    let every = this.options.keepaliveMs ?? (this.role === "client" ? DEFAULT_KEEPALIVE_MS : 0);
    const idle = Number(info.idleTimeoutMs);
    if (every > 0 && idle > 0) every = Math.min(every, Math.max(100, Math.floor(idle / 3)));
    if (every <= 0) return;
    this.keepalive = setInterval(() => this.ping().catch(() => {}), every);
    this.keepalive.unref?.();
  }

  // ---- ending --------------------------------------------------------------------------------------------------

  /** A protocol error: tell the peer why, then end. */
  private fail(error: KfwdError): void {
    if (this.ended) return;
    this.log(error.message);
    this.scheduler.sendControl(FrameType.GOAWAY, 0, 0, encodeReason(ResetReason.PROTOCOL_ERROR, error.message));
    this.scheduler.flushNow();
    this.finish(error, error);
    this.transport.close();
  }

  private finish(error: Error | undefined, pendingError: Error): void {
    if (this.ended) return;
    this.ended = true;
    if (this.keepalive) clearInterval(this.keepalive);
    this.stopMemoryGuard();
    this.scheduler.stop();
    this.rejectReady(error ?? pendingError);
    const hangup = Object.assign(new Error(pendingError.message), { code: "ECONNRESET" });
    for (const stream of [...this.streams.values()])
      this.unanswered.has(stream.id) ? stream.discard() : stream.abort(hangup); // nobody holds those yet
    this.unanswered.clear();
    this.streams.clear();
    for (const pending of this.opening.values()) pending.reject(pendingError);
    this.opening.clear();
    for (const fail of [...this.waitingOpens]) fail(pendingError);
    this.waitingOpens.clear();
    for (const cancel of this.queuedPeerOpens.values()) cancel();
    this.queuedPeerOpens.clear();
    for (const ping of this.pings.values()) ping.reject(pendingError);
    this.pings.clear();
    this.calls.failAll(pendingError);
    this.resolveClosed(error);
  }
}
