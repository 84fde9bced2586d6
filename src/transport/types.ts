import type { CallMap } from "../../wire/calls";
import type { Transport } from "../../wire/transport";

/**
 * What a transport asks of the Mux that runs over it. A cluster exec stream has a far larger bandwidth-delay
 * product than a local pipe, so it grants larger per-stream windows.
 */
export interface TransportTuning {
  /** The most credit one stream is granted (bytes), within the session's receive budget; the Mux's default when unset. */
  readonly streamWindow?: number;
  /** New streams go to the least busy of the links with the highest priority (default 0): a faster link wins. */
  readonly streamPriority?: number;
}

/** The agent's calls, for a connection that sets up more links through the first one. */
export type AgentCall = <M extends keyof CallMap>(
  method: M,
  params: CallMap[M]["params"],
) => Promise<CallMap[M]["result"]>;

/** One running agent and the byte stream to it. */
export interface AgentConnection {
  readonly transport: Transport;
  /** Where the agent runs, for progress and `status` ("local agent, pid 4242, netns lab"). */
  readonly description: string;
  /** Set by transports that need other Mux settings than the defaults. */
  readonly tuning?: TransportTuning;
  /** Which transport: "exec", "portforward", "stdio", ... (`kfwd status` shows which carry streams). */
  readonly kind?: string;
  /**
   * Once the agent answered over this connection, a second, faster link to the same agent, if there is one
   * (the port-forward link); the tunnel adds it after every connect. Undefined: none.
   */
  readonly extraLink?: (call: AgentCall) => Promise<AgentConnection | undefined>;
  /** Stop this agent (its transport closes). Safe to call more than once. */
  close(): Promise<void>;
}
