import type { Duplex } from "node:stream";
import { KfwdError } from "../errors";
import type { Destination } from "../proxy/dialer";
import type { AgentConnection, AgentLauncher } from "../launch/types";
import { Mux, type CallMap, type PeerHello } from "../../wire/index";

export type TunnelState = "connecting" | "up" | "reconnecting" | "closed";

export interface TunnelOptions {
  progress: (step: string) => void;
  warn: (message: string) => void;
  log: (message: string) => void;
  /** How long a new connection waits for a lost tunnel to come back before it fails. */
  reconnectWaitMs?: number;
  /** Liveness: a ping every interval; no answer within the timeout means the tunnel is dead. */
  pingIntervalMs?: number;
  pingTimeoutMs?: number;
}

/**
 * The session's link to its agent. It owns one Mux at a time and, when the tunnel drops (agent killed,
 * connection cut, pings unanswered), starts a fresh agent through the launcher. Streams on the lost tunnel
 * are reset by the Mux; new dials wait for the new one instead of failing at once.
 */
export class Tunnel {
  state: TunnelState = "connecting";
  hello: PeerHello | undefined;
  reconnects = 0;
  private mux: Mux | undefined;
  private connection: AgentConnection | undefined;
  private waiters: Array<(mux: Mux | undefined) => void> = [];
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private readonly reconnectWaitMs: number;

  constructor(
    readonly launcher: AgentLauncher,
    private readonly options: TunnelOptions,
  ) {
    this.reconnectWaitMs = options.reconnectWaitMs ?? 15_000;
  }

  /** Connect for the first time; a failure here is the user's error to see, so it is thrown, not retried. */
  async start(): Promise<PeerHello> {
    await this.connectOnce();
    this.startPings();
    return this.hello as PeerHello;
  }

  get description(): string {
    return this.connection?.description ?? this.launcher.label;
  }

  async dial(dest: Destination): Promise<Duplex> {
    const mux = await this.currentMux();
    return mux.open(dest);
  }

  async call<M extends keyof CallMap>(method: M, params: CallMap[M]["params"]): Promise<CallMap[M]["result"]> {
    const mux = await this.currentMux();
    return mux.call(method, params);
  }

  stats(): ReturnType<Mux["stats"]> & { state: TunnelState; reconnects: number } {
    const base = this.mux?.stats() ?? { openStreams: 0, bytesSent: 0, bytesReceived: 0, rttMs: undefined };
    return { ...base, state: this.state, reconnects: this.reconnects };
  }

  async close(): Promise<void> {
    if (this.state === "closed") return;
    this.state = "closed";
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.mux?.close("session ended");
    await this.connection?.close();
    for (const wake of this.waiters.splice(0)) wake(undefined);
  }

  private async connectOnce(): Promise<void> {
    const connection = await this.launcher.connect(this.options.progress);
    const mux = new Mux(connection.transport, { ...connection.tuning, role: "client", log: this.options.log });
    try {
      this.hello = await mux.ready;
    } catch (error) {
      mux.close("handshake failed");
      await connection.close();
      throw error;
    }
    if (this.state === "closed") {
      mux.close("session ended");
      await connection.close();
      return;
    }
    this.connection = connection;
    this.mux = mux;
    this.state = "up";
    for (const wake of this.waiters.splice(0)) wake(mux);
    void mux.closed.then((error) => this.onLost(mux, error));
  }

  private async onLost(mux: Mux, error: Error | undefined): Promise<void> {
    if (this.state === "closed" || this.mux !== mux) return;
    this.state = "reconnecting";
    this.mux = undefined;
    const lost = this.connection;
    this.connection = undefined;
    void lost?.close();
    this.options.warn(`Lost the tunnel to the agent${error ? ` (${error.message})` : ""}; reconnecting…`);
    for (let attempt = 0; this.state === "reconnecting"; attempt++) {
      try {
        await this.connectOnce();
        this.reconnects++;
        this.options.warn(`Tunnel is back (${this.description}).`);
        return;
      } catch (e) {
        const delay = Math.min(2000, 100 * 2 ** attempt);
        this.options.log(`reconnect attempt ${attempt + 1} failed: ${e instanceof Error ? e.message : String(e)}`);
        await Bun.sleep(delay);
      }
    }
  }

  private currentMux(): Promise<Mux> {
    if (this.mux) return Promise.resolve(this.mux);
    if (this.state === "closed") return Promise.reject(tunnelClosed());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== wake);
        reject(
          new KfwdError(
            "KFWD_TUNNEL_DOWN",
            `Cannot reach the agent: the tunnel has been down for ${this.reconnectWaitMs / 1000}s`,
            "kfwd keeps reconnecting; run with KFWD_DEBUG=tunnel to see why it fails.",
          ),
        );
      }, this.reconnectWaitMs);
      const wake = (mux: Mux | undefined): void => {
        clearTimeout(timer);
        if (mux) resolve(mux);
        else reject(tunnelClosed());
      };
      this.waiters.push(wake);
    });
  }

  /** A tunnel can die without its byte stream closing (a NAT drops it, a node vanishes): pings find that out. */
  private startPings(): void {
    const interval = this.options.pingIntervalMs ?? 5000;
    const timeout = this.options.pingTimeoutMs ?? 10_000;
    this.pingTimer = setInterval(() => {
      const mux = this.mux;
      if (!mux) return;
      const timer = setTimeout(() => {
        if (this.mux === mux) mux.close(`no answer to ping within ${timeout / 1000}s`);
      }, timeout);
      mux.ping().then(
        () => clearTimeout(timer),
        () => clearTimeout(timer),
      );
    }, interval);
    this.pingTimer.unref?.();
  }
}

const tunnelClosed = (): KfwdError =>
  new KfwdError("KFWD_TUNNEL_CLOSED", "Cannot open a connection: the session has ended");
