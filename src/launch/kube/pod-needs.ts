/**
 * What a capability needs from the agent's pod beyond running the agent: labels a Service selects, container
 * ports its endpoints name, a service account with a Role of its own, and objects that must live exactly as
 * long as the agent (owned by its Job, so the garbage collector removes them with it, even after kill -9).
 * Asked for before anything is created, so that a capability can refuse (missing permission, no Service) first.
 */
import type { KubeClient } from "../../kube/index";
import type { ResolvedTarget } from "./resolve";

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
}

export interface OwnedObject {
  /** The collection to POST to (apiPath of the resource, without a name). */
  path: string;
  body: Record<string, unknown>;
  /** Told what the API server made of it (a Service's clusterIP). */
  created?: (object: Record<string, unknown>) => void;
  /** Already there (409) is fine: the session's Lease after a reconnect (the new Job becomes an owner too). */
  mayExist?: boolean;
}

export interface AgentPodNeeds {
  labels: Record<string, string>;
  ports: Array<{ name?: string; containerPort: number }>;
  /** The agent listens below 1024 as non-root: the namespaced sysctl net.ipv4.ip_unprivileged_port_start=0. */
  lowPorts: boolean;
  /** Ready only once the agent listens on this port (a Service must not send it traffic before). */
  readinessPort?: number | undefined;
  /** Run as this service account (one of `owned`): the Job starts suspended until `owned` exist. */
  serviceAccount?: string;
  owned: (owner: OwnerReference) => OwnedObject[];
}

export interface PodNeedsContext {
  client: KubeClient;
  namespace: string;
  target: ResolvedTarget | undefined;
  sessionId: string;
  /** The Job's name: objects named after it are per agent pod. */
  jobName: string;
  /** The first agent pod of the session (a reconnect may start another). */
  first: boolean;
  owner: { name: string; label: string };
  /** Tell the user something (a kfwd warning line, shown by `kfwd up` too). */
  warn: (message: string) => void;
}

export type AgentPodHook = (context: PodNeedsContext) => Promise<AgentPodNeeds>;

/**
 * Run once per session before the target is resolved: repairs that the target may depend on (a workload a
 * dead session scaled to 0 has no pod to resolve).
 */
export type BeforeTargetHook = (context: {
  client: KubeClient;
  namespace: string;
  warn: (message: string) => void;
  progress: (step: string) => void;
}) => Promise<void>;

/** Several capabilities' needs as one. */
export function mergeNeeds(all: readonly AgentPodNeeds[]): AgentPodNeeds | undefined {
  if (all.length === 0) return undefined;
  const accounts = all.flatMap((n) => (n.serviceAccount ? [n.serviceAccount] : []));
  if (accounts.length > 1) throw new Error("two capabilities ask for the agent pod's service account");
  const readiness = all.find((n) => n.readinessPort !== undefined)?.readinessPort;
  return {
    labels: Object.assign({}, ...all.map((n) => n.labels)),
    ports: all.flatMap((n) => n.ports),
    lowPorts: all.some((n) => n.lowPorts),
    ...(readiness !== undefined ? { readinessPort: readiness } : {}),
    ...(accounts[0] ? { serviceAccount: accounts[0] } : {}),
    owned: (owner) => all.flatMap((n) => n.owned(owner)),
  };
}
