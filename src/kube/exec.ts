/**
 * A Transport over the Kubernetes exec subresource: a WebSocket from the host through the API server to a
 * command in a pod. stdin carries our bytes to the command, stdout its bytes back, stderr is its log (passed
 * to `onStderr` line by line), channel 3 its exit status. Flow control as for every channel WebSocket
 * (channel-socket.ts).
 */
import { KfwdError } from "../errors";
import type { Transport } from "../../wire/transport";
import { apiPath } from "./api-path";
import type { KubeClient } from "./client";
import { debugKube } from "./debug";
import { ChannelSocket } from "./channel-socket";
import { openExecSocket } from "./exec-connect";
import {
  Channel,
  EXEC_PROTOCOL_V5,
  EXEC_PROTOCOLS,
  ExecExitError,
  type ExecProtocol,
  type ExecStatus,
  parseExecStatus,
} from "./exec-protocol";
import { LineSplitter } from "../text/lines";

export { ExecExitError, type ExecProtocol, type ExecStatus } from "./exec-protocol";

export interface ExecTransportOptions {
  /** Defaults to the client's namespace. */
  namespace?: string;
  pod: string;
  container?: string;
  command: readonly string[];
  /** Default true. */
  stdin?: boolean;
  /** The command's stderr, one line at a time (without the newline). */
  onStderr?: (line: string) => void;
  /** Bytes queued in the socket above which `write` returns false. Default 1 MiB. */
  highWaterMark?: number;
  /** WebSocket ping period; 0 turns pings off. Default 30 s. */
  pingIntervalMs?: number;
  /** Default 30 s. */
  connectTimeoutMs?: number;
  /** Subprotocols to offer, best first (tests use this to force v4). */
  protocols?: readonly ExecProtocol[];
}

export interface ExecTransport extends Transport {
  /** The subprotocol the server chose. */
  readonly protocol: ExecProtocol;
  /** Tell the command there is no more input (stdin EOF). Only v5 can; returns false on v4. */
  closeStdin(): boolean;
  /** The exit status once channel 3 delivered it. */
  readonly exitStatus: ExecStatus | undefined;
  /** Round-trip time of the last WebSocket ping, in ms. */
  readonly pingRttMs: number | undefined;
  /**
   * Settles when the command first writes (stdout or stderr), or rejects with the close error if the stream
   * ends first. The API server accepts the upgrade before the kubelet looks for the container, so "container
   * not found" (one not started yet) arrives only as an exit status: this tells a started command from that.
   */
  readonly firstOutput: Promise<void>;
}

export async function execTransport(client: KubeClient, opts: ExecTransportOptions): Promise<ExecTransport> {
  const namespace = opts.namespace ?? client.namespace;
  const stdin = opts.stdin ?? true;
  const path = apiPath({ resource: "pods", namespace, name: opts.pod, subresource: "exec" });
  const query: Record<string, string | string[]> = {
    command: [...opts.command],
    stdin: String(stdin),
    stdout: "true",
    stderr: "true",
  };
  if (opts.container) query.container = opts.container;
  // The agent's command carries the whole bootstrap loader: name the program, not a screenful of script.
  const shown = opts.command.join(" ");
  const what = `"${shown.length > 60 ? `${opts.command[0] ?? ""} …` : shown}" in pod "${opts.pod}"${opts.container ? ` (container "${opts.container}")` : ""} of namespace "${namespace}"`;
  const ws = await openExecSocket(client, path, query, {
    protocols: opts.protocols ?? EXEC_PROTOCOLS,
    timeoutMs: opts.connectTimeoutMs ?? 30_000,
    what,
  });
  return new ExecSocketTransport(ws, what, opts);
}

class ExecSocketTransport extends ChannelSocket implements ExecTransport {
  readonly protocol: ExecProtocol;
  exitStatus: ExecStatus | undefined;
  pingRttMs: number | undefined;
  readonly #what: string;
  readonly #onStderr: ((line: string) => void) | undefined;
  readonly #stderr = new LineSplitter();
  #pingTimer: ReturnType<typeof setInterval> | undefined;
  #pingSentAt: number | undefined;
  #pongSeen = false;
  #stdinClosed = false;
  #failure: Error | undefined;
  readonly firstOutput: Promise<void>;
  #outputSeen: (() => void) | undefined;
  #outputFailed: ((error: Error) => void) | undefined;

  constructor(ws: WebSocket, what: string, opts: ExecTransportOptions) {
    super(ws, opts.highWaterMark);
    this.#what = what;
    this.protocol = ws.protocol as ExecProtocol;
    this.#onStderr = opts.onStderr;
    this.firstOutput = new Promise<void>((resolve, reject) => {
      this.#outputSeen = resolve;
      this.#outputFailed = reject;
    });
    this.firstOutput.catch(() => {}); // most callers never ask
    ws.addEventListener("message", (ev) => this.#onMessage(ev.data));
    ws.addEventListener("close", (ev) => this.#finish(ev.code, ev.reason));
    ws.addEventListener("error", (ev) => {
      this.#failure ??= new KfwdError(
        "KFWD_EXEC_STREAM_FAILED",
        `Cannot keep the exec stream to ${what} open: ${(ev as ErrorEvent).message || "WebSocket error"}`,
        "The connection to the API server broke; kfwd reconnects where it can.",
      );
    });
    ws.addEventListener("pong", () => {
      this.#pongSeen = true;
      if (this.#pingSentAt !== undefined) this.pingRttMs = performance.now() - this.#pingSentAt;
      this.#pingSentAt = undefined;
    });
    const every = opts.pingIntervalMs ?? 30_000;
    if (every > 0) this.#pingTimer = setInterval(() => this.#ping(every), every);
    this.#pingTimer?.unref?.();
    debugKube(`exec ${what}: open, protocol ${this.protocol}`);
  }

  write(data: Uint8Array): boolean {
    if (this.closeTold || this.#stdinClosed || this.ws.readyState !== WebSocket.OPEN) return false;
    return this.send(Channel.stdin, data);
  }

  closeStdin(): boolean {
    if (this.protocol !== EXEC_PROTOCOL_V5 || this.#stdinClosed || this.ws.readyState !== WebSocket.OPEN) return false;
    this.#stdinClosed = true;
    this.ws.send(new Uint8Array([Channel.close, Channel.stdin]));
    return true;
  }

  #onMessage(data: unknown): void {
    if (!(data instanceof ArrayBuffer) || data.byteLength === 0) return;
    const bytes = new Uint8Array(data);
    const channel = bytes[0];
    const payload = bytes.subarray(1);
    if ((channel === Channel.stdout || channel === Channel.stderr) && payload.byteLength > 0) this.#outputSeen?.();
    switch (channel) {
      case Channel.stdout:
        if (payload.byteLength === 0) return;
        this.emitData(payload);
        return;
      case Channel.stderr:
        if (this.#onStderr) for (const line of this.#stderr.push(payload)) this.#onStderr(line);
        return;
      case Channel.error:
        if (payload.byteLength === 0) return;
        this.exitStatus = parseExecStatus(payload);
        debugKube(`exec ${this.#what}: status ${JSON.stringify(this.exitStatus)}`);
        return;
      default:
        return; // channel 255 from the server (it closed a channel), or channels we did not open
    }
  }

  #ping(every: number): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    // Only a server that has answered a ping before can be judged dead for not answering.
    if (this.#pingSentAt !== undefined && this.#pongSeen && performance.now() - this.#pingSentAt > 2 * every) {
      this.#failure ??= new KfwdError(
        "KFWD_EXEC_STREAM_FAILED",
        `Cannot keep the exec stream to ${this.#what} open: the API server stopped answering pings`,
        "Check the network to the cluster.",
      );
      this.ws.terminate();
      return;
    }
    if (this.#pingSentAt === undefined) {
      this.#pingSentAt = performance.now();
      this.ws.ping();
    }
  }

  #finish(code: number, reason: string): void {
    if (this.closeTold) return;
    clearInterval(this.#pingTimer);
    this.stopDrain();
    if (this.#onStderr) {
      const rest = this.#stderr.flush();
      if (rest !== undefined) this.#onStderr(rest);
    }
    let error: Error | undefined;
    if (this.exitStatus && !this.exitStatus.success) error = new ExecExitError(this.exitStatus, this.#what);
    else if (this.exitStatus?.success || this.closedByUs) error = undefined;
    else {
      error =
        this.#failure ??
        new KfwdError(
          "KFWD_EXEC_STREAM_CLOSED",
          `Cannot keep the exec stream to ${this.#what} open: it closed before the command's exit status arrived (WebSocket code ${code}${reason ? `, "${reason}"` : ""})`,
          "The pod may have been deleted or the API server restarted.",
        );
    }
    debugKube(`exec ${this.#what}: closed (code ${code}) ${error ? error.message : "cleanly"}`);
    this.#outputFailed?.(
      error ??
        new KfwdError(
          "KFWD_EXEC_STREAM_CLOSED",
          `The exec stream to ${this.#what} closed before the command wrote anything`,
        ),
    );
    this.emitClose(error);
  }
}
