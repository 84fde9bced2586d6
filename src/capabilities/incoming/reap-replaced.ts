/**
 * The Lease backstop for "replace": a workload that a dead session scaled to 0 (its agent pod was deleted
 * before it could restore) has no pods, so no kfwd could even resolve it as a target again. Before resolving
 * its target, a kfwd with [incoming] puts back, in its namespace, the replica count of every Deployment or
 * StatefulSet whose replacing session's Lease expired or is gone, and waits for a Ready pod of each, all within
 * one 60 s deadline.
 */
import { REPLACED_BY_ANNOTATION, REPLICAS_ANNOTATION } from "../../../wire/intercept";
import { apiPath, isKubeApiError, type KubeClient, updateObject } from "../../kube/index";
import { leaseName, leaseState } from "./lease";

interface WorkloadObject {
  metadata: { name: string; resourceVersion?: string; annotations?: Record<string, string> };
  spec: { replicas?: number };
  status?: { readyReplicas?: number };
}

const RESOURCES = ["deployments", "statefulsets"] as const;
/** How long to wait for a restored workload's first Ready pod (it may be this session's target). */
const READY_WAIT_MS = 60_000;

export interface ReapContext {
  client: KubeClient;
  namespace: string;
  warn: (message: string) => void;
  progress: (step: string) => void;
}

/** Restores workloads replaced by dead sessions; what it restored ("deployments/checkout"). */
export async function reapReplaced(o: ReapContext): Promise<string[]> {
  const restored: string[] = [];
  /** Restored workloads with replicas: waited for together (one deadline), since any may be the target. */
  const starting: { path: string; what: string }[] = [];
  for (const resource of RESOURCES) {
    const collection = apiPath({ group: "apps", resource, namespace: o.namespace });
    const list = await o.client.list<WorkloadObject>(collection);
    for (const w of list.items) {
      const session = w.metadata.annotations?.[REPLACED_BY_ANNOTATION];
      if (session === undefined) continue;
      const state = await leaseState(o.client, o.namespace, leaseName(session));
      if (state === "alive") continue;
      const path = apiPath({ group: "apps", resource, namespace: o.namespace, name: w.metadata.name });
      try {
        const replicas = await restoreReplicas(o.client, path, session);
        if (replicas === undefined) continue;
        restored.push(`${resource}/${w.metadata.name}`);
        o.warn(
          `Restored ${resource}/${w.metadata.name} to ${replicas} replicas for session ${session}, ${state === "gone" ? "whose agent is gone (its Lease went with its Job)" : "whose lease expired"}`,
        );
        if (replicas > 0) starting.push({ path, what: `${resource}/${w.metadata.name}` });
      } catch (e) {
        if (!isKubeApiError(e, 403)) throw e;
        o.warn(
          `${resource}/${w.metadata.name} was scaled to 0 by session ${session}, which is gone, and you may not restore it (${(e as Error).message}). Ask someone with the kfwd-incoming Role to run kfwd here.`,
        );
      }
    }
  }
  const deadline = performance.now() + READY_WAIT_MS;
  await Promise.all(starting.map(({ path, what }) => readyPod(o, path, what, deadline)));
  return restored;
}

/** Puts the recorded count back and drops the record; the count, or undefined when the session's record is gone. */
async function restoreReplicas(client: KubeClient, path: string, session: string): Promise<number | undefined> {
  let replicas = 0;
  const restored = await updateObject<WorkloadObject>(client, path, (w) => {
    const a = w.metadata.annotations ?? {};
    if (a[REPLACED_BY_ANNOTATION] !== session) return undefined;
    const { [REPLICAS_ANNOTATION]: recorded, [REPLACED_BY_ANNOTATION]: _by, ...rest } = a;
    const count = Number(recorded);
    replicas = recorded !== undefined && Number.isInteger(count) && count >= 0 ? count : 1;
    return { ...w, metadata: { ...w.metadata, annotations: rest }, spec: { ...w.spec, replicas } };
  });
  return restored ? replicas : undefined;
}

async function readyPod(o: ReapContext, path: string, what: string, deadline: number): Promise<void> {
  o.progress(`Waiting for a Ready pod of ${what}`);
  while (performance.now() < deadline) {
    const w = await o.client.get<WorkloadObject>(path);
    if ((w.status?.readyReplicas ?? 0) > 0) return;
    await Bun.sleep(500);
  }
  o.warn(`${what} has no Ready pod ${READY_WAIT_MS / 1000}s after its replicas were restored`);
}
