/**
 * A Transport over the Kubernetes portforward subresource: one TCP connection to a port on the pod's loopback,
 * as a WebSocket through the API server and kubelet (`v4.channel.k8s.io`, one port per socket). Channel 0 carries
 * the data, channel 1 the kubelet's error text; the server opens each channel with the port number (2 bytes,
 * little-endian), which is not data. Unlike exec, the bytes skip the container's stdio pipes and the runtime
 * shim. Flow control as for every channel WebSocket (channel-socket.ts).
 */
import { KfwdError } from "../errors";
import type { Transport } from "../../wire/transport";
import { apiPath } from "./api-path";
import type { KubeClient } from "./client";
import { debugKube } from "./debug";
import { ChannelSocket } from "./channel-socket";
import { openExecSocket } from "./exec-connect";
import { EXEC_PROTOCOL_V4 } from "./exec-protocol";

const DATA = 0;
const ERROR = 1;
/** Each channel's first 2 bytes from the server name the port. */
const PORT_PREFIX = 2;

export interface PortForwardOptions {
  namespace?: string;
  pod: string;
  port: number;
  /** Default 30 s. */
  connectTimeoutMs?: number;
  /** Ping period (WebSocket or SPDY pings); 0 turns pings off. Default 30 s. */
  pingIntervalMs?: number;
  highWaterMark?: number;
}

export async function portForwardTransport(client: KubeClient, opts: PortForwardOptions): Promise<Transport> {
  const namespace = opts.namespace ?? client.namespace;
  const path = apiPath({ resource: "pods", namespace, name: opts.pod, subresource: "portforward" });
  const what = `port ${opts.port} of pod "${opts.pod}" in namespace "${namespace}"`;
  const ws = await openExecSocket(
    client,
    path,
    { ports: String(opts.port) },
    {
      protocols: [EXEC_PROTOCOL_V4],
      timeoutMs: opts.connectTimeoutMs ?? 30_000,
      what,
      subject: "a port-forward stream",
    },
  );
  return new PortForwardSocket(ws, what, opts);
}

class PortForwardSocket extends ChannelSocket implements Transport {
  readonly #what: string;
  /** Port-prefix bytes still to skip on each channel. */
  readonly #skip = [PORT_PREFIX, PORT_PREFIX];
  #errorText = "";
  #pingTimer: ReturnType<typeof setInterval> | undefined;
  #failure: Error | undefined;

  constructor(ws: WebSocket, what: string, opts: PortForwardOptions) {
    super(ws, opts.highWaterMark);
    this.#what = what;
    ws.addEventListener("message", (ev) => this.#onMessage(ev.data));
    ws.addEventListener("close", (ev) => this.#finish(ev.code));
    ws.addEventListener("error", (ev) => {
      this.#failure ??= this.#error((ev as ErrorEvent).message || "WebSocket error");
    });
    const every = opts.pingIntervalMs ?? 30_000;
    if (every > 0) this.#pingTimer = setInterval(() => ws.readyState === WebSocket.OPEN && ws.ping(), every);
    this.#pingTimer?.unref?.();
    debugKube(`portforward ${what}: open`);
  }

  write(data: Uint8Array): boolean {
    if (this.closeTold || this.ws.readyState !== WebSocket.OPEN) return false;
    return this.send(DATA, data);
  }

  #onMessage(data: unknown): void {
    if (!(data instanceof ArrayBuffer) || data.byteLength === 0) return;
    const bytes = new Uint8Array(data);
    const channel = bytes[0];
    if (channel !== DATA && channel !== ERROR) return;
    let payload = bytes.subarray(1);
    const skip = Math.min(this.#skip[channel] ?? 0, payload.byteLength);
    if (skip > 0) {
      this.#skip[channel] = (this.#skip[channel] ?? 0) - skip;
      payload = payload.subarray(skip);
    }
    if (payload.byteLength === 0) return;
    if (channel === ERROR) {
      this.#errorText += new TextDecoder().decode(payload);
      debugKube(`portforward ${this.#what}: error ${this.#errorText}`);
      return;
    }
    this.emitData(payload);
  }

  #error(why: string): KfwdError {
    return portForwardError(this.#what, why);
  }

  #finish(code: number): void {
    if (this.closeTold) return;
    clearInterval(this.#pingTimer);
    this.stopDrain();
    const error = this.#errorText
      ? this.#error(this.#errorText.trim())
      : this.closedByUs
        ? undefined
        : (this.#failure ?? (code === 1000 ? undefined : this.#error(`closed (WebSocket code ${code})`)));
    debugKube(`portforward ${this.#what}: closed (code ${code}) ${error ? error.message : "cleanly"}`);
    this.emitClose(error);
  }
}

/** The port-forward link failed (either protocol); the session goes on over exec. */
export function portForwardError(what: string, why: string): KfwdError {
  return new KfwdError(
    "KFWD_EXEC_PORTFORWARD_FAILED",
    `The port-forward stream to ${what} failed: ${why}`,
    "kfwd carries the session over exec meanwhile.",
  );
}
