/**
 * Listing the objects kfwd made for one owner: pods and Jobs labelled managed-by=kfwd and owner=<label>.
 * The owner is in the label selector, so the API server never even returns another owner's objects; each
 * item's labels are checked again here anyway, because a wrong delete is the one mistake clean must not make.
 */
import { isKubeApiError } from "./api-errors";
import { apiPath } from "./api-path";
import type { KubeClient } from "./client";
import { LABEL, MANAGED_BY, selector } from "./labels";
import type { Job, ObjectMeta, Pod } from "./types";

export type ManagedKind = "Pod" | "Job";

/** One kfwd object, reduced to what deciding "leftover or not" needs. */
export interface ManagedObject {
  kind: ManagedKind;
  namespace: string;
  name: string;
  /** The kfwd.dev/session label ("" if absent). */
  session: string;
  createdAt: Date;
  /** Pod: Succeeded/Failed. Job: a Complete or Failed condition. Nothing runs in it any more. */
  finished: boolean;
  /** A pod that has not started (Pending), or a Job with no pod running or done yet. */
  pending: boolean;
  /** Already has a deletionTimestamp. */
  deleting: boolean;
  /** For a pod made by a Job: the Job's name (deleting the Job removes the pod). */
  jobOwner?: string;
}

export interface ListScope {
  /** Namespaces to look in; ignored when `allNamespaces`. */
  namespaces: readonly string[];
  allNamespaces?: boolean;
}

export interface Listing {
  objects: ManagedObject[];
  /** Kinds that could not be listed (e.g. the Role does not grant jobs), with the reason. */
  skipped: { kind: ManagedKind; namespace: string; reason: string }[];
}

export async function listManaged(client: KubeClient, owner: string, scope: ListScope): Promise<Listing> {
  const labelSelector = selector({ [LABEL.managedBy]: MANAGED_BY, [LABEL.owner]: owner });
  const spaces: (string | undefined)[] = scope.allNamespaces ? [undefined] : [...new Set(scope.namespaces)];
  const listing: Listing = { objects: [], skipped: [] };
  const isOurs = (m: ObjectMeta) => m.labels?.[LABEL.managedBy] === MANAGED_BY && m.labels?.[LABEL.owner] === owner;
  for (const namespace of spaces) {
    const pods = await client.list<Pod>(apiPath({ resource: "pods", namespace }), { labelSelector });
    for (const p of pods.items) if (isOurs(p.metadata)) listing.objects.push(fromPod(p));
    try {
      const jobs = await client.list<Job>(apiPath({ group: "batch", resource: "jobs", namespace }), {
        labelSelector,
      });
      for (const j of jobs.items) if (isOurs(j.metadata)) listing.objects.push(fromJob(j));
    } catch (e) {
      // Pods are what kfwd always makes; Jobs only with some placements, and older Roles do not grant them.
      if (!isKubeApiError(e, 403) && !isKubeApiError(e, 404)) throw e;
      listing.skipped.push({ kind: "Job", namespace: namespace ?? "(all)", reason: e.message });
    }
  }
  return listing;
}

function base(kind: ManagedKind, m: ObjectMeta): Omit<ManagedObject, "finished" | "pending"> {
  const job = m.ownerReferences?.find((r) => r.kind === "Job");
  return {
    kind,
    namespace: m.namespace ?? "",
    name: m.name,
    session: m.labels?.[LABEL.session] ?? "",
    createdAt: new Date(m.creationTimestamp ?? 0),
    deleting: m.deletionTimestamp !== undefined,
    ...(job ? { jobOwner: job.name } : {}),
  };
}

function fromPod(p: Pod): ManagedObject {
  const phase = p.status?.phase ?? "Pending";
  return {
    ...base("Pod", p.metadata),
    finished: phase === "Succeeded" || phase === "Failed",
    pending: phase === "Pending",
  };
}

function fromJob(j: Job): ManagedObject {
  const s = j.status ?? {};
  const finished = (s.conditions ?? []).some(
    (c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True",
  );
  const started = (s.active ?? 0) > 0 || (s.succeeded ?? 0) > 0 || (s.failed ?? 0) > 0;
  return { ...base("Job", j.metadata), finished, pending: !finished && !started };
}

/** Remove one object. Jobs take their pods with them (Background propagation); gone already is fine. */
export async function deleteManaged(client: KubeClient, o: ManagedObject): Promise<void> {
  const path =
    o.kind === "Pod"
      ? apiPath({ resource: "pods", namespace: o.namespace, name: o.name })
      : apiPath({ group: "batch", resource: "jobs", namespace: o.namespace, name: o.name });
  await client.delete(path, { ignoreNotFound: true, query: { propagationPolicy: "Background" } });
}
