/**
 * Placement "pod": the agent runs in its own pod, made by a Job (see agentJob for why a Job). Creating it is
 * a dry-run Pod first — Pod Security is enforced on pods, not on Jobs, so this is how a rejection reaches the
 * user at once and names the field instead of surfacing later as a FailedCreate event.
 */
import { KfwdError } from "../../errors";
import { apiPath, isKubeApiError, type KubeClient, updateObject } from "../../kube/index";
import { selector, LABEL } from "../../kube/labels";
import { AGENT_CONTAINER, agentJob, jobPodForDryRun, type AgentSpecOptions } from "./agent-spec";
import type { AgentHome } from "./home";
import type { Container, Pod } from "../../kube/types";
import { waitForAgent } from "./wait";
import type { AgentPodNeeds } from "./pod-needs";

export interface PodAgentOptions {
  client: KubeClient;
  namespace: string;
  name: string;
  spec: AgentSpecOptions;
  target?: { pod: Pod; env: Pick<Container, "env" | "envFrom"> } | undefined;
  timeoutMs: number;
  progress: (step: string) => void;
  needs?: AgentPodNeeds | undefined;
}

const jobs = (namespace: string, name?: string) => apiPath({ group: "batch", resource: "jobs", namespace, name });

export async function startPodAgent(o: PodAgentOptions): Promise<AgentHome> {
  const job = agentJob(o.name, o.spec, o.target, o.needs);
  try {
    await o.client.create(
      apiPath({ resource: "pods", namespace: o.namespace }),
      jobPodForDryRun(job, `${o.name}-dry-run`),
      { dryRun: "All" },
    );
  } catch (e) {
    if (!isKubeApiError(e, 409)) throw e;
  }
  o.progress(`Creating agent Job ${o.name} (image ${o.spec.image})`);
  const created = await o.client.create<{ metadata: { uid: string } }>(jobs(o.namespace), job);
  if (o.needs) {
    const owner = { apiVersion: "batch/v1", kind: "Job", name: o.name, uid: created.metadata.uid };
    try {
      for (const object of o.needs.owned(owner)) {
        const meta = (object.body.metadata ?? {}) as Record<string, unknown>;
        const body = { ...object.body, metadata: { ...meta, ownerReferences: [owner] } };
        try {
          const made = await o.client.create<Record<string, unknown>>(object.path, body);
          object.created?.(made);
        } catch (e) {
          if (!(object.mayExist && isKubeApiError(e, 409))) throw e;
          // Made by an earlier agent Job of this session (the Lease, after a reconnect): owned by this one too,
          // else the garbage collector removes it with the earlier Job while the session still runs.
          await addOwner(o.client, `${object.path}/${String(meta.name)}`, owner);
        }
      }
      if (o.needs.serviceAccount) await o.client.patch(jobs(o.namespace, o.name), { spec: { suspend: false } });
    } catch (e) {
      await deleteJob(o.client, o.namespace, o.name);
      throw e;
    }
  }
  // Exec is tried from the moment the pod has a node (execAgent retries until the runtime started the
  // container): the kubelet reports a container running up to ~1 s after it runs. The watch goes on to
  // catch pull failures and crashes.
  const stop = new AbortController();
  let onScheduled!: (pod: Pod) => void;
  const scheduled = new Promise<Pod>((resolve) => (onScheduled = resolve));
  const done = waitForAgent(o.client, {
    namespace: o.namespace,
    labelSelector: `job-name=${o.name}`,
    container: AGENT_CONTAINER,
    ephemeral: false,
    eventsFor: [o.name],
    image: o.spec.image,
    timeoutMs: o.timeoutMs,
    progress: o.progress,
    signal: stop.signal,
    onScheduled,
  });
  done.catch(() => {}); // observed by execAgent
  const pod = await Promise.race([scheduled, done]).catch(async (e: unknown) => {
    await deleteJob(o.client, o.namespace, o.name);
    throw e;
  });
  const podName = pod.metadata.name;
  return {
    pod: podName,
    container: AGENT_CONTAINER,
    description: `agent pod ${podName} (Job ${o.name})`,
    starting: { done, stop: () => stop.abort() },
    alive: () => containerRunning(o.client, o.namespace, podName),
    remove: () => deleteJob(o.client, o.namespace, o.name),
  };
}

type Owner = { apiVersion: string; kind: string; name: string; uid: string };

/** Adds an owner reference, unless the object has it already (a merge patch: the Role grants leases "patch"). */
async function addOwner(client: KubeClient, path: string, owner: Owner): Promise<void> {
  type Owned = { metadata: { resourceVersion?: string; ownerReferences?: Owner[] } };
  await updateObject<Owned, { metadata: { resourceVersion: string | undefined; ownerReferences: Owner[] } }>(
    client,
    path,
    ({ metadata: { resourceVersion, ownerReferences: owners = [] } }) =>
      owners.some((r) => r.uid === owner.uid)
        ? undefined
        : { metadata: { resourceVersion, ownerReferences: [...owners, owner] } },
    "patch",
  );
}

export async function containerRunning(
  client: KubeClient,
  namespace: string,
  pod: string,
  ephemeral = false,
  container = AGENT_CONTAINER,
): Promise<boolean> {
  try {
    const p = await client.get<Pod>(apiPath({ resource: "pods", namespace, name: pod }));
    const statuses = (ephemeral ? p.status?.ephemeralContainerStatuses : p.status?.containerStatuses) ?? [];
    return (
      !p.metadata.deletionTimestamp && statuses.some((s) => s.name === container && s.state?.running !== undefined)
    );
  } catch (e) {
    if (isKubeApiError(e, 404)) return false;
    throw e;
  }
}

/** Background propagation: the Job goes at once, the garbage collector removes its pod right after. */
export async function deleteJob(client: KubeClient, namespace: string, name: string): Promise<void> {
  await client.delete(jobs(namespace, name), {
    ignoreNotFound: true,
    query: { propagationPolicy: "Background", gracePeriodSeconds: 0 },
  });
}

/** On exit: remove every Job of the session and wait briefly until its pods are gone too. */
export async function removeSessionJobs(
  client: KubeClient,
  namespace: string,
  sessionId: string,
  waitMs = 5000,
): Promise<void> {
  const labelSelector = selector({ [LABEL.session]: sessionId });
  const list = await client.list<{ metadata: { name: string } }>(jobs(namespace), { labelSelector });
  await Promise.all(list.items.map((j) => deleteJob(client, namespace, j.metadata.name)));
  const deadline = performance.now() + waitMs;
  while (performance.now() < deadline) {
    const pods = await client.list<Pod>(apiPath({ resource: "pods", namespace }), { labelSelector });
    if (pods.items.length === 0) return;
    await Bun.sleep(250);
  }
  throw new KfwdError(
    "KFWD_CLEANUP_SLOW",
    `The agent pod of session ${sessionId} is still terminating after ${waitMs / 1000}s`,
    "The cluster removes it shortly (its Job is gone); `kfwd clean` removes leftovers.",
  );
}
