/**
 * Placement "ephemeral": the agent's container is added to the target pod (pods/ephemeralcontainers), in the
 * target container's PID namespace and with its UID, so it has the pod's network identity and can read the
 * target's runtime env. Kubernetes cannot remove an ephemeral container again: after the session its keeper
 * exits and the container stays listed as Terminated until the pod is replaced.
 */
import { apiPath, type KubeClient } from "../../kube/index";
import { agentEphemeralContainer, effectiveIds, type AgentSpecOptions } from "./agent-spec";
import { envForEphemeral } from "./env";
import type { AgentHome } from "./home";
import { containerRunning } from "./job";
import type { ResolvedTarget } from "./resolve";
import { waitForAgent } from "./wait";

export interface EphemeralOptions {
  client: KubeClient;
  namespace: string;
  name: string;
  spec: AgentSpecOptions;
  target: ResolvedTarget;
  timeoutMs: number;
  progress: (step: string) => void;
  warn: (message: string) => void;
}

export async function startEphemeralAgent(o: EphemeralOptions): Promise<AgentHome> {
  const { pod } = o.target;
  const podName = pod.metadata.name;
  const container = pod.spec.containers.find((c) => c.name === o.target.container);
  if (!container) throw new Error(`container ${o.target.container} vanished from the pod spec`);
  if (effectiveIds(pod, container).uid === undefined) {
    o.warn(
      `The target container "${container.name}" sets no runAsUser (its image decides the UID), so the agent cannot match it and may not read the process env; kfwd then uses the env from the pod spec.`,
    );
  }
  const spec = agentEphemeralContainer(o.name, o.spec, pod, container, envForEphemeral(container));
  o.progress(`Adding ephemeral container ${o.name} to pod ${podName} (image ${o.spec.image})`);
  // Strategic merge keys ephemeralContainers by name: this appends ours and leaves the others alone.
  await o.client.patch(
    apiPath({ resource: "pods", namespace: o.namespace, name: podName, subresource: "ephemeralcontainers" }),
    { spec: { ephemeralContainers: [spec] } },
    "strategic",
  );
  // Not awaited: exec works once the runtime started the container, often well before the kubelet says so.
  const stop = new AbortController();
  const done = waitForAgent(o.client, {
    namespace: o.namespace,
    podName,
    container: o.name,
    ephemeral: true,
    eventsFor: [],
    image: o.spec.image,
    timeoutMs: o.timeoutMs,
    progress: o.progress,
    signal: stop.signal,
  });
  done.catch(() => {}); // observed by execAgent
  return {
    pod: podName,
    container: o.name,
    description: `ephemeral container ${o.name} in pod ${podName}`,
    starting: { done, stop: () => stop.abort() },
    alive: () => containerRunning(o.client, o.namespace, podName, true, o.name),
    remove: async () => {},
  };
}
