import type { AgentConnection } from "../transport/types";

export type { AgentConnection };

/**
 * Knows how to start an agent for a target and to tear down what it created. `connect` is called again
 * when a tunnel is lost, so it must be able to start (or reach) a fresh agent each time.
 */
export interface AgentLauncher {
  /** The target as the user named it ("local", "deployment/checkout in shop"). */
  readonly label: string;
  /** The id the session's cluster objects are labelled with (cluster targets only). */
  readonly clusterSessionId?: string;
  connect(progress: (step: string) => void): Promise<AgentConnection>;
  /** Remove everything this session created for the target. Idempotent. */
  dispose(): Promise<void>;
}
