/**
 * The targets in a namespace — Deployments, StatefulSets, Pods and Services — with readiness and the
 * placement `auto` would choose, for `kfwd ls` (scripts, IDE pickers) and `kfwd init`'s picker. Four lists
 * and one SelfSubjectAccessReview, all covered by the shipped Role.
 */
import { apiPath, type KubeClient } from "../kube/index";
import type { LabelSelector, ObjectMeta, Pod } from "../kube/types";

export type TargetKind = "deployment" | "statefulset" | "pod" | "service";

export interface TargetRow {
  kind: TargetKind;
  name: string;
  /** The profile's [target] key and value that select it: { workload: "deployment/x" }, { pod: "x" }... */
  profile: { workload: string } | { pod: string } | { service: string };
  /** Ready pods (a pod: ready containers) and how many are wanted. */
  ready: number;
  desired: number;
  /** Where `placement = "auto"` would run the agent: beside a ready pod, or in an agent pod. */
  placement: "ephemeral" | "pod";
  /** Why there is nothing to attach to, if so ("no ready pod", "Pending"). */
  problem?: string;
}

export interface TargetList {
  context: string;
  namespace: string;
  /** SelfSubjectAccessReview: patch pods/ephemeralcontainers in the namespace. */
  ephemeralAllowed: boolean;
  targets: TargetRow[];
}

interface Replicated {
  metadata: ObjectMeta;
  spec: { replicas?: number; selector: LabelSelector };
  status?: { readyReplicas?: number };
}
interface ServiceItem {
  metadata: ObjectMeta;
  spec: { selector?: Record<string, string>; type?: string };
}

const isReadyPod = (p: Pod): boolean =>
  !p.metadata.deletionTimestamp &&
  p.status?.phase === "Running" &&
  (p.status.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");

/** matchLabels and the set-based operators, as the API server applies a LabelSelector. */
export function selects(selector: LabelSelector, labels: Record<string, string> = {}): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = e.key in labels;
    const value = labels[e.key];
    const inValues = value !== undefined && (e.values ?? []).includes(value);
    if (e.operator === "In" && !inValues) return false;
    if (e.operator === "NotIn" && inValues) return false;
    if (e.operator === "Exists" && !has) return false;
    if (e.operator === "DoesNotExist" && has) return false;
  }
  return true;
}

const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);

export async function listTargets(client: KubeClient, namespace: string): Promise<TargetList> {
  const apps = (resource: string) => apiPath({ group: "apps", version: "v1", resource, namespace });
  const [deployments, statefulsets, pods, services, ephemeralAllowed] = await Promise.all([
    client.list<Replicated>(apps("deployments")),
    client.list<Replicated>(apps("statefulsets")),
    client.list<Pod>(apiPath({ resource: "pods", namespace })),
    client.list<ServiceItem>(apiPath({ resource: "services", namespace })),
    client.selfSubjectAccessReview({ verb: "patch", resource: "pods", subresource: "ephemeralcontainers", namespace }),
  ]);
  // kfwd's own agent pods are not targets.
  const podItems = pods.items.filter((p) => p.metadata.labels?.["app.kubernetes.io/managed-by"] !== "kfwd");
  const readyPods = podItems.filter(isReadyPod);
  const row = (r: Omit<TargetRow, "placement">): TargetRow => ({
    ...r,
    placement: ephemeralAllowed && r.ready > 0 ? "ephemeral" : "pod",
  });
  const noReady = (ready: number) => (ready > 0 ? {} : { problem: "no ready pod" });

  const workloads = (kind: "deployment" | "statefulset", items: Replicated[]) =>
    items
      .map((w) => {
        const ready = w.status?.readyReplicas ?? 0;
        return row({
          kind,
          name: w.metadata.name,
          profile: { workload: `${kind}/${w.metadata.name}` },
          ready,
          desired: w.spec.replicas ?? 1,
          ...noReady(ready),
        });
      })
      .sort(byName);

  const podRows = podItems
    .map((p) => {
      const statuses = p.status?.containerStatuses ?? [];
      const ready = isReadyPod(p) ? statuses.filter((s) => s.ready).length : 0;
      const phase = p.metadata.deletionTimestamp ? "Terminating" : (p.status?.phase ?? "Unknown");
      return row({
        kind: "pod",
        name: p.metadata.name,
        profile: { pod: p.metadata.name },
        ready,
        desired: p.spec.containers.length,
        ...(isReadyPod(p) ? {} : { problem: phase === "Running" ? "not ready" : phase }),
      });
    })
    .sort(byName);

  const serviceRows = services.items
    .filter((s) => s.spec.selector && Object.keys(s.spec.selector).length > 0)
    .map((s) => {
      const selector = { matchLabels: s.spec.selector ?? {} };
      const matching = podItems.filter((p) => selects(selector, p.metadata.labels));
      const ready = readyPods.filter((p) => selects(selector, p.metadata.labels)).length;
      return row({
        kind: "service",
        name: s.metadata.name,
        profile: { service: s.metadata.name },
        ready,
        desired: matching.length,
        ...noReady(ready),
      });
    })
    .sort(byName);

  return {
    context: client.contextName,
    namespace,
    ephemeralAllowed,
    targets: [
      ...workloads("deployment", deployments.items),
      ...workloads("statefulset", statefulsets.items),
      ...podRows,
      ...serviceRows,
    ],
  };
}

/** "deployment/checkout" or "pod/checkout-7d9f" — how `kfwd ls` and `kfwd init --target` name a target. */
export const targetName = (t: { kind: TargetKind; name: string }): string => `${t.kind}/${t.name}`;
