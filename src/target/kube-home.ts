/** Where an agent is exec'd: a pod and container kfwd started (Job pod or ephemeral container). */
export interface AgentHome {
  pod: string;
  container: string;
  /** For progress and `status`: "agent pod kfwd-agent-ab12-xyz (Job kfwd-agent-ab12)". */
  description: string;
  /** Whether the container still runs, so a reconnect can exec into it again instead of starting another. */
  alive(): Promise<boolean>;
  /** Remove it, where Kubernetes allows (an ephemeral container cannot be removed: it just exits). */
  remove(): Promise<void>;
}
