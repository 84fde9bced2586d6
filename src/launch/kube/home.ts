/** Where an agent is exec'd: a pod and container kfwd started (Job pod or ephemeral container). */
export interface AgentHome {
  pod: string;
  container: string;
  /** For progress and `status`: "agent pod kfwd-agent-ab12-xyz (Job kfwd-agent-ab12)". */
  description: string;
  /** Whether the container still runs, so a reconnect can exec into it again instead of starting another. */
  alive(): Promise<boolean>;
  /**
   * Set while the container is still starting: the start watch, which settles once the kubelet reports it
   * running and rejects with the reason it will not run (image pull, crash, timeout). The first exec does not
   * wait for it (see execAgent) and stops it once the agent runs.
   */
  starting?: { done: Promise<unknown>; stop(): void } | undefined;
  /** Remove it, where Kubernetes allows (an ephemeral container cannot be removed: it just exits). */
  remove(): Promise<void>;
}
