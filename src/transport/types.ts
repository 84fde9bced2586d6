import type { Transport } from "../../wire/transport";

/**
 * What a transport asks of the Mux that runs over it. A cluster exec stream has a far larger bandwidth-delay
 * product than a local pipe, so it grants larger per-stream windows.
 */
export interface TransportTuning {
  /** The most credit one stream is granted (bytes), within the session's receive budget; the Mux's default when unset. */
  readonly streamWindow?: number;
}

/** One running agent and the byte stream to it. */
export interface AgentConnection {
  readonly transport: Transport;
  /** Where the agent runs, for progress and `status` ("local agent, pid 4242, netns lab"). */
  readonly description: string;
  /** Set by transports that need other Mux settings than the defaults. */
  readonly tuning?: TransportTuning;
  /** Stop this agent (its transport closes). Safe to call more than once. */
  close(): Promise<void>;
}
