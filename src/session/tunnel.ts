import type { Duplex } from "node:stream";
import { type CallMap, type IncomingOpen, Mux, type PeerHello } from "../../wire/index";
import { KfwdError } from "../errors";
import type { AgentLauncher } from "../launch/types";
import type { Destination, DialOptions } from "../proxy/dialer";
import type { AgentConnection } from "../transport/types";

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
  /** Kinds of stream the agent may open toward the host, and who takes them. */
  streamKinds?: readonly string[];
  onStream?: (open: IncomingOpen) => void;
  /**
   * Runs after every connect (the first and each reconnect), once the agent answered: what the agent holds
   * for the session (listeners, watches) is set up again here. A failure fails `start`; after a reconnect it
   * is reported and the tunnel stays up for everything else.
   */
  afterConnect?: () => Promise<void>;
}

/** The most a session start waits for the port-forward link (it takes 3–4 round trips to the API server, mostly
 *  overlapping the agent's own start). */
export const EXTRA_LINK_WAIT_MS = 1_500;

/** One link as `kfwd status` shows it. */
export interface LinkStats {
  transport: string;
  description: string;
  /** New streams go to the links of the highest priority. */
  priority: number;
  openStreams: number;
  bytesSent: number;
  bytesReceived: number;
}

/** One agent connection and the Mux over it. */
interface Link {
  readonly mux: Mux;
  readonly connection: AgentConnection;
}

/**
 * The session's link to its agent. It holds one or more Muxes — the first carries calls and pings, new streams
 * go to the least busy — and, when the first is lost (agent killed, connection cut, pings unanswered), starts
 * a fresh agent through the launcher and runs the after-connect hooks again. Streams on a lost link are reset
 * by its Mux; new dials wait for the new one instead of failing at once.
 */
export class Tunnel {
  state: TunnelState = "connecting";
  hello: PeerHello | undefined;
  reconnects = 0;
  private links: Link[] = [];
  /** The current connection's attempt to add its faster link (settles either way). */
  private extraLinkAttempt: Promise<void> = Promise.resolve();
  /** Set from a connect until its faster link is up or given up (at most EXTRA_LINK_WAIT_MS): new streams wait
   *  for it, since a stream stays on the link it opened on. */
  private linkSettling: Promise<void> | undefined;
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
    if (this.state !== "closed") await this.options.afterConnect?.();
    this.startPings();
    return this.hello as PeerHello;
  }

  get description(): string {
    return this.links[0]?.connection.description ?? this.launcher.label;
  }

  /** How many Muxes carry the session now. */
  get linkCount(): number {
    return this.links.length;
  }

  /**
   * A stream to `dest` (or, with a kind, one a capability asked the agent for), on the least busy link. With
   * `early` it is handed out before the agent connected (see Mux.open): bytes written travel with the OPEN.
   */
  async dial(dest: Destination, kind?: string, options: DialOptions = {}): Promise<Duplex> {
    await this.primary();
    if (this.linkSettling) await this.linkSettling;
    let best = this.links[0] as Link;
    const priority = (l: Link): number => l.connection.tuning?.streamPriority ?? 0;
    for (const link of this.links) {
      const higher = priority(link) > priority(best);
      if (higher || (priority(link) === priority(best) && link.mux.stats().openStreams < best.mux.stats().openStreams))
        best = link;
    }
    return best.mux.open(dest, kind, options);
  }

  async call<M extends keyof CallMap>(method: M, params: CallMap[M]["params"]): Promise<CallMap[M]["result"]> {
    return (await this.primary()).call(method, params);
  }

  /**
   * Carry streams over one more connection as well (a second exec stream, another transport). It lives as
   * long as it works; its loss only removes it, while the first link's loss reconnects the session.
   */
  async addLink(connection: AgentConnection): Promise<void> {
    const mux = await this.handshake(connection);
    if (!mux) return;
    const link = { mux, connection };
    this.links.push(link);
    void mux.closed.then(() => {
      if (this.links[0] === link) return; // the first link's loss is onLost's
      this.links = this.links.filter((l) => l !== link);
      void connection.close();
    });
  }

  /** Each link's transport and what it carries now, first link first. */
  linkStats(): LinkStats[] {
    return this.links.map(({ mux, connection }) => {
      const s = mux.stats();
      return {
        transport: connection.kind ?? "other",
        description: connection.description,
        priority: connection.tuning?.streamPriority ?? 0,
        openStreams: s.openStreams,
        bytesSent: s.bytesSent,
        bytesReceived: s.bytesReceived,
      };
    });
  }

  stats(): ReturnType<Mux["stats"]> & { state: TunnelState; reconnects: number } {
    const total = { openStreams: 0, bytesSent: 0, bytesReceived: 0, rttMs: this.links[0]?.mux.stats().rttMs };
    for (const { mux } of this.links) {
      const s = mux.stats();
      total.openStreams += s.openStreams;
      total.bytesSent += s.bytesSent;
      total.bytesReceived += s.bytesReceived;
    }
    return { ...total, state: this.state, reconnects: this.reconnects };
  }

  async close(): Promise<void> {
    if (this.state === "closed") return;
    this.state = "closed";
    if (this.pingTimer) clearInterval(this.pingTimer);
    const links = this.links.splice(0);
    for (const { mux } of links) mux.close("session ended");
    for (const { connection } of links) await connection.close();
    for (const wake of this.waiters.splice(0)) wake(undefined);
  }

  /** A Mux over `connection` once the agent said HELLO; undefined (and closed) if the tunnel closed meanwhile. */
  private async handshake(connection: AgentConnection): Promise<Mux | undefined> {
    const { streamKinds, onStream, log } = this.options;
    const mux = new Mux(connection.transport, {
      ...connection.tuning,
      role: "client",
      log,
      ...(onStream ? { onStream, streamKinds: streamKinds ?? [] } : {}),
    });
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
      return undefined;
    }
    return mux;
  }

  private async connectOnce(): Promise<void> {
    const connection = await this.launcher.connect(this.options.progress);
    const mux = await this.handshake(connection);
    if (!mux) return;
    this.links.unshift({ mux, connection });
    this.state = "up";
    for (const wake of this.waiters.splice(0)) wake(mux);
    void mux.closed.then((error) => this.onLost(mux, error));
    this.extraLinkAttempt = connection.extraLink ? this.addExtraLink(connection, mux) : Promise.resolve();
    if (!connection.extraLink) return;
    const settling = this.extraLinkSettled().then(() => {
      if (this.linkSettling === settling) this.linkSettling = undefined;
    });
    this.linkSettling = settling;
  }

  /**
   * Resolves once the current connection's faster link is up, or was not to be (no link, refused, failed), or
   * after `timeoutMs`. Streams cannot move between links, so a command whose first connections would otherwise
   * stay on exec for their lifetime waits for this first (kfwd run, and kfwd up before it reports ready).
   */
  async extraLinkSettled(timeoutMs = EXTRA_LINK_WAIT_MS): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([this.extraLinkAttempt, late]);
    clearTimeout(timer);
  }

  /** The connection's faster link (port-forward), beside it; without it streams stay on the first link. */
  private async addExtraLink(first: AgentConnection, mux: Mux): Promise<void> {
    try {
      const extra = await first.extraLink?.((method, params) => mux.call(method, params));
      if (!extra) return;
      if (this.links[0]?.mux !== mux) {
        await extra.close(); // the first link went meanwhile
        return;
      }
      await this.addLink(extra);
      this.options.log(`streams now go over ${extra.description}`);
    } catch (e) {
      this.options.warn(
        `No faster link to the agent; streams stay on ${first.kind ?? "the first link"}: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  }

  private async onLost(mux: Mux, error: Error | undefined): Promise<void> {
    if (this.state === "closed" || this.links[0]?.mux !== mux) return;
    this.state = "reconnecting";
    // The agent behind every link is gone with the first one (they share it): start over.
    const lost = this.links.splice(0);
    for (const link of lost) {
      if (link.mux !== mux) link.mux.close("tunnel lost");
      void link.connection.close();
    }
    this.options.warn(`Lost the tunnel to the agent${error ? ` (${error.message})` : ""}; reconnecting…`);
    for (let attempt = 0; this.state === "reconnecting"; attempt++) {
      try {
        await this.connectOnce();
        this.reconnects++;
        this.options.warn(`Tunnel is back (${this.description}).`);
        await this.options.afterConnect?.().catch((e: unknown) => {
          this.options.warn(`After reconnecting: ${e instanceof Error ? e.message : String(e)}`);
        });
        return;
      } catch (e) {
        const delay = Math.min(2000, 100 * 2 ** attempt);
        this.options.log(`reconnect attempt ${attempt + 1} failed: ${e instanceof Error ? e.message : String(e)}`);
        await Bun.sleep(delay);
      }
    }
  }

  private primary(): Promise<Mux> {
    const first = this.links[0];
    if (first) return Promise.resolve(first.mux);
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
      const mux = this.links[0]?.mux;
      if (!mux) return;
      const timer = setTimeout(() => {
        if (this.links[0]?.mux === mux) mux.close(`no answer to ping within ${timeout / 1000}s`);
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
