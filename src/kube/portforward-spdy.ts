/**
 * A Transport over the Kubernetes portforward subresource spoken as SPDY/3.1, the protocol kubectl uses
 * without WebSockets: the API server passes the upgraded connection through to the kubelet untouched, and the
 * runtime's streaming server copies plain SPDY data frames, where the WebSocket protocol (`v4.channel.k8s.io`,
 * portforward.ts) costs the runtime a frame decoder and a copy per message. On this project's lab cluster the
 * difference is the larger part of the CPU the whole path spends (bench/README.md).
 *
 * One port-forward connection is two SPDY streams sharing a request id: "error" (the server's error text,
 * if dialling the port fails) and "data" (the bytes). Through the kubeconfig's http:// proxy it goes in a CONNECT
 * tunnel (spdy/dial.ts); other proxies, and servers that refuse the upgrade, leave the WebSocket protocol.
 */
import type { Socket } from "node:net";
import type { KfwdError } from "../errors";
import type { Transport } from "../../wire/transport";
import { apiPath } from "./api-path";
import type { KubeClient } from "./client";
import { debugKube } from "./debug";
import { portForwardError, type PortForwardOptions } from "./portforward";
import { TransportEvents } from "./transport-events";
import {
  dataFrameHeader,
  FLAG_FIN,
  type Frame,
  FrameKind,
  FrameReader,
  goAway,
  ping,
  rstStream,
  statusOf,
  streamIdOf,
  synStream,
} from "./spdy/frames";
import { HeaderBlockWriter } from "./spdy/headers";
import { upgradeToSpdy } from "./spdy/upgrade";

export const PORTFORWARD_PROTOCOL = "portforward.k8s.io";
const ERROR_STREAM = 1;
const DATA_STREAM = 3;
/** RST_STREAM status CANCEL. */
const CANCEL = 5;
/** Bytes queued on the socket above which `write` asks the caller to wait for `onDrain`. */
const DEFAULT_HWM = 1024 * 1024;
/** Data frames are cut at this size (their format allows 16 MiB; the server holds a whole frame in memory). */
const MAX_FRAME_DATA = 256 * 1024;

/** As for the WebSocket protocol; pings are SPDY PINGs (they keep idle proxies from dropping the connection). */
export type SpdyPortForwardOptions = PortForwardOptions;

/**
 * The upgraded connection before a port is chosen: SPDY names the port per stream, not in the request, so the
 * upgrade can run while the agent is still being asked which port it listens on.
 */
export interface SpdyPortForwardConnection {
  /** The port-forward to `port` over this connection (once). */
  open(port: number, opts?: Pick<SpdyPortForwardOptions, "pingIntervalMs" | "highWaterMark">): Transport;
  /** Drops the connection unused. */
  discard(): void;
}

/** Upgrades a connection to the pod's portforward subresource; rejects (an UpgradeRefused, no diagnosis) when
 *  SPDY is not available this way. */
export async function connectSpdyPortForward(
  client: KubeClient,
  target: Pick<SpdyPortForwardOptions, "namespace" | "pod" | "connectTimeoutMs">,
): Promise<SpdyPortForwardConnection> {
  const conn = await client.streamConnection();
  const namespace = target.namespace ?? client.namespace;
  const path = apiPath({ resource: "pods", namespace, name: target.pod, subresource: "portforward" });
  const timeout = target.connectTimeoutMs ?? 30_000;
  const { socket, rest } = await upgradeToSpdy(conn, path, PORTFORWARD_PROTOCOL, timeout);
  return {
    open: (port, opts = {}) =>
      new SpdyPortForward(socket, rest, `port ${port} of pod "${target.pod}" in namespace "${namespace}"`, {
        ...opts,
        pod: target.pod,
        port,
      }),
    discard: () => socket.destroy(),
  };
}

class SpdyPortForward extends TransportEvents implements Transport {
  readonly #socket: Socket;
  readonly #what: string;
  readonly #hwm: number;
  #errorText = "";
  #wantDrain = false;
  #pingTimer: ReturnType<typeof setInterval> | undefined;
  #pingId = 1;
  #closedByUs = false;

  constructor(socket: Socket, rest: Uint8Array, what: string, opts: SpdyPortForwardOptions) {
    super();
    this.#socket = socket;
    this.#what = what;
    this.#hwm = opts.highWaterMark ?? DEFAULT_HWM;
    const headers = new HeaderBlockWriter();
    const stream = (streamType: string) => ({ streamType, port: String(opts.port), requestID: "0" });
    // The error stream is the server's to write: we close our side at once, as kubectl does.
    socket.write(synStream(ERROR_STREAM, headers.block(stream("error")), FLAG_FIN));
    socket.write(synStream(DATA_STREAM, headers.block(stream("data"))));
    const reader = new FrameReader((frame) => this.#onFrame(frame));
    const read = (chunk: Uint8Array): void => {
      try {
        reader.push(chunk);
      } catch (e) {
        this.#finish(this.#error(`the server sent ${e instanceof Error ? e.message : String(e)}`));
      }
    };
    if (rest.byteLength > 0) read(rest);
    socket.on("data", read);
    socket.on("drain", () => {
      if (!this.#wantDrain) return;
      this.#wantDrain = false;
      this.emitDrain();
    });
    socket.on("error", (e) => this.#finish(this.#error(e.message)));
    socket.on("close", () => this.#finish(this.#closedByUs ? undefined : this.#error("the connection closed")));
    socket.resume();
    const every = opts.pingIntervalMs ?? 30_000;
    if (every > 0)
      this.#pingTimer = setInterval(() => {
        socket.write(ping(this.#pingId));
        this.#pingId = (this.#pingId + 2) >>> 0 || 1; // ours are odd
      }, every);
    this.#pingTimer?.unref?.();
    debugKube(`portforward (SPDY) ${what}: open`);
  }

  write(data: Uint8Array, onWritten?: () => void): boolean {
    if (this.closeTold || this.#closedByUs) return false;
    for (let at = 0; at < data.byteLength; at += MAX_FRAME_DATA) {
      const part = data.subarray(at, at + MAX_FRAME_DATA);
      const last = at + MAX_FRAME_DATA >= data.byteLength;
      this.#socket.write(dataFrameHeader(DATA_STREAM, part.byteLength));
      this.#socket.write(part, last && onWritten ? () => onWritten() : undefined);
    }
    if (this.#socket.writableLength <= this.#hwm) return true;
    this.#wantDrain = true;
    return false;
  }

  close(): void {
    if (this.closeTold || this.#closedByUs) return;
    this.#closedByUs = true;
    if (!this.#socket.destroyed) {
      this.#socket.write(dataFrameHeader(DATA_STREAM, 0, FLAG_FIN));
      this.#socket.end(goAway(DATA_STREAM));
    }
  }

  #onFrame(frame: Frame): void {
    if (frame.kind === "data") {
      if (frame.streamId === DATA_STREAM && frame.data.byteLength > 0) {
        this.emitData(frame.data, true);
      } else if (frame.streamId === ERROR_STREAM) {
        this.#errorText += new TextDecoder().decode(frame.data);
        debugKube(`portforward (SPDY) ${this.#what}: error ${this.#errorText}`);
      }
      // The pod's side of the connection ended: so does this transport.
      if (frame.streamId === DATA_STREAM && frame.flags & FLAG_FIN) this.#end();
      return;
    }
    switch (frame.type) {
      case FrameKind.RST_STREAM:
        if (streamIdOf(frame.payload) === DATA_STREAM)
          this.#finish(this.#error(`the server reset the stream (status ${statusOf(frame.payload)})`));
        return;
      case FrameKind.PING:
        // The server's pings (even ids) are echoed; answers to ours need nothing.
        if ((streamIdOf(frame.payload) & 1) === 0) this.#socket.write(ping(streamIdOf(frame.payload)));
        return;
      case FrameKind.GOAWAY:
        this.#end();
        return;
      default:
      // SYN_REPLY (the stream was accepted: data may already have been sent), SETTINGS, HEADERS, WINDOW_UPDATE.
    }
  }

  /** The server ended the connection's data: clean unless it also sent error text. */
  #end(): void {
    this.#finish(this.#errorText ? this.#error(this.#errorText.trim()) : undefined);
    if (!this.#socket.destroyed) this.#socket.end();
  }

  #error(why: string): KfwdError {
    return portForwardError(this.#what, why);
  }

  #finish(error: Error | undefined): void {
    if (this.closeTold) return;
    clearInterval(this.#pingTimer);
    const failure = this.#errorText && !this.#closedByUs ? this.#error(this.#errorText.trim()) : error;
    debugKube(`portforward (SPDY) ${this.#what}: closed ${failure ? failure.message : "cleanly"}`);
    this.emitClose(failure);
    if (!this.#socket.destroyed && failure) {
      this.#socket.write(rstStream(DATA_STREAM, CANCEL));
      this.#socket.destroy();
    }
  }
}
