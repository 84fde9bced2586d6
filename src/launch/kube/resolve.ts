/**
 * From the profile's [target] to one running pod and container: a pod by name, a ready pod of a workload, or a
 * ready pod behind a Service. A name that does not exist is answered with the names that do, since a typo is
 * the usual cause.
 */
import { readTable } from "../../../wire/intercept";
import { KfwdError } from "../../errors";
import { apiPath, isKubeApiError, type KubeClient, type ResourceRef } from "../../kube/index";
import type { Target } from "../../profile/index";
import { nearest } from "../../profile/suggest";
import type { EndpointSlice, LabelSelector, Pod, Service, Workload } from "../../kube/types";

export type ClusterTarget = Exclude<Target, { kind: "local" } | { kind: "none" }>;

export interface ResolvedTarget {
  pod: Pod;
  container: string;
  /** For progress: "pod checkout-7d9f-x2x9p (deployment/checkout, 1 of 2 ready)". */
  description: string;
}

const DEFAULT_CONTAINER_ANNOTATION = "kubectl.kubernetes.io/default-container";

const WORKLOAD_REFS = {
  deployment: { group: "apps", resource: "deployments", plural: "Deployments" },
  statefulset: { group: "apps", resource: "statefulsets", plural: "StatefulSets" },
  replicaset: { group: "apps", resource: "replicasets", plural: "ReplicaSets" },
} as const;

export async function resolveTarget(
  client: KubeClient,
  namespace: string,
  target: ClusterTarget,
): Promise<ResolvedTarget> {
  if (target.kind === "pod") {
    const pod = await getOrList<Pod>(client, { resource: "pods", namespace, name: target.name }, "pod", "Pods");
    if (pod.status?.phase !== "Running") {
      throw new KfwdError(
        "KFWD_TARGET_NOT_RUNNING",
        `Cannot use pod "${target.name}" in namespace "${namespace}" as the target: it is ${pod.status?.phase ?? "not running"}`,
        "Wait for it to run, or name a workload or service so kfwd picks a ready pod.",
      );
    }
    return withContainer(pod, target.container, `pod ${target.name}`);
  }
  if (target.kind === "workload") {
    const ref = WORKLOAD_REFS[target.workload];
    const w = await getOrList<Workload>(
      client,
      { group: ref.group, version: "v1", resource: ref.resource, namespace, name: target.name },
      target.workload,
      ref.plural,
    );
    const pod = await readyPod(client, namespace, selectorString(w.spec.selector), `${target.workload}/${target.name}`);
    return withContainer(
      pod.pod,
      target.container,
      `pod ${pod.pod.metadata.name} (${target.workload}/${target.name}, ${pod.summary})`,
    );
  }
  const svc = await getOrList<Service>(
    client,
    { resource: "services", namespace, name: target.name },
    "service",
    "Services",
  );
  // A Service kfwd took over ([incoming]) selects agent pods now; its own pods are those of the recorded selector.
  const selector = readTable(svc.metadata.annotations, target.name)?.selector ?? svc.spec.selector;
  const pod =
    selector && Object.keys(selector).length > 0
      ? await readyPod(client, namespace, selectorString({ matchLabels: selector }), `service/${target.name}`)
      : await podFromEndpointSlices(client, namespace, target.name);
  return withContainer(
    pod.pod,
    target.container,
    `pod ${pod.pod.metadata.name} (service/${target.name}, ${pod.summary})`,
  );
}

/** GET the object; on 404, list its kind in the namespace and name what is there. */
async function getOrList<T>(client: KubeClient, ref: ResourceRef, kind: string, plural: string): Promise<T> {
  try {
    return await client.get<T>(apiPath(ref));
  } catch (e) {
    if (!isKubeApiError(e, 404)) throw e;
    const list = await client.list<{ metadata: { name: string } }>(apiPath({ ...ref, name: undefined }), {
      limit: 200,
    });
    const names = list.items.map((i) => i.metadata.name).sort();
    const there =
      names.length > 0
        ? `${plural} there: ${names.slice(0, 20).join(", ")}${names.length > 20 ? `, … (${names.length})` : ""}`
        : `There are no ${plural.toLowerCase()} there`;
    const guess = nearest(ref.name ?? "", names);
    throw new KfwdError(
      "KFWD_TARGET_NOT_FOUND",
      `Cannot find ${kind} "${ref.name}" in namespace "${ref.namespace}". ${there}`,
      guess
        ? `Did you mean "${guess}"? Fix [target] in the profile.`
        : "Fix [target] in the profile, or [cluster] namespace/context.",
    );
  }
}

const isReady = (p: Pod): boolean =>
  !p.metadata.deletionTimestamp &&
  p.status?.phase === "Running" &&
  (p.status.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");

/** The oldest ready pod: the one least likely to be replaced during the session. */
async function readyPod(
  client: KubeClient,
  namespace: string,
  labelSelector: string,
  what: string,
): Promise<{ pod: Pod; summary: string }> {
  const pods = (await client.list<Pod>(apiPath({ resource: "pods", namespace }), { labelSelector })).items;
  const ready = pods
    .filter(isReady)
    .sort(
      (a, b) =>
        (a.metadata.creationTimestamp ?? "").localeCompare(b.metadata.creationTimestamp ?? "") ||
        a.metadata.name.localeCompare(b.metadata.name),
    );
  const pod = ready[0];
  if (!pod) {
    const states = pods.map((p) => `${p.metadata.name}: ${p.status?.phase ?? "?"}`).join(", ");
    throw new KfwdError(
      "KFWD_TARGET_NOT_READY",
      `Cannot pick a pod of ${what} in namespace "${namespace}": none is ready${pods.length ? ` (${states})` : " (it selects no pods)"}`,
      "Check it with kubectl get pods; kfwd needs a running, ready pod as the target.",
    );
  }
  return { pod, summary: `${ready.length} of ${pods.length} ready` };
}

/** A Service without a selector (endpoints managed by hand or by a controller): its EndpointSlices name the pods. */
async function podFromEndpointSlices(
  client: KubeClient,
  namespace: string,
  service: string,
): Promise<{ pod: Pod; summary: string }> {
  const slices = await client.list<EndpointSlice>(
    apiPath({ group: "discovery.k8s.io", resource: "endpointslices", namespace }),
    { labelSelector: `kubernetes.io/service-name=${service}` },
  );
  const names = slices.items
    .flatMap((s) => s.endpoints ?? [])
    .filter((e) => e.conditions?.ready !== false && e.targetRef?.kind === "Pod" && e.targetRef.name)
    .map((e) => e.targetRef?.name as string);
  for (const name of names) {
    const pod = await client.get<Pod>(apiPath({ resource: "pods", namespace, name })).catch(() => undefined);
    if (pod && isReady(pod)) return { pod, summary: `via EndpointSlices, ${names.length} ready endpoints` };
  }
  throw new KfwdError(
    "KFWD_TARGET_NOT_READY",
    `Cannot pick a pod behind service "${service}" in namespace "${namespace}": it has no selector and no ready pod in its EndpointSlices`,
    "kfwd needs a pod as the target; name it with [target] pod.",
  );
}

function withContainer(pod: Pod, wanted: string | undefined, description: string): ResolvedTarget {
  const names = pod.spec.containers.map((c) => c.name);
  const chosen = wanted ?? pod.metadata.annotations?.[DEFAULT_CONTAINER_ANNOTATION] ?? names[0] ?? "";
  if (!names.includes(chosen)) {
    throw new KfwdError(
      "KFWD_CONTAINER_NOT_FOUND",
      `Cannot find container "${chosen}" in pod "${pod.metadata.name}". Containers there: ${names.join(", ")}`,
      "Set [target] container to one of them.",
    );
  }
  return {
    pod,
    container: chosen,
    description: names.length > 1 ? `${description}, container ${chosen}` : description,
  };
}

/** A LabelSelector as the `labelSelector` query parameter understands it. */
export function selectorString(s: LabelSelector): string {
  const parts = Object.entries(s.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of s.matchExpressions ?? []) {
    const values = (e.values ?? []).join(",");
    if (e.operator === "In") parts.push(`${e.key} in (${values})`);
    else if (e.operator === "NotIn") parts.push(`${e.key} notin (${values})`);
    else if (e.operator === "Exists") parts.push(e.key);
    else if (e.operator === "DoesNotExist") parts.push(`!${e.key}`);
  }
  return parts.join(",");
}
