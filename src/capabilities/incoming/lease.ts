/**
 * Each incoming session holds a Lease (coordination.k8s.io) that kfwd renews. The agent pod restores what the
 * session took as soon as its tunnel ends; the Lease is the backstop for when the agent cannot (its pod was
 * deleted, the node died): any later kfwd in the namespace removes the entries of sessions whose Lease expired
 * or is gone, and restores the Service when none is left. A live session's entries are never touched.
 */
import { leaveService } from "../../../wire/intercept";
import { apiPath, isKubeApiError, type KubeClient, updateObject } from "../../kube/index";
import type { KubeService, PlannedService } from "./plan";

export const LEASE_SECONDS = 30;
export const RENEW_MS = 5000;

export const leaseName = (sessionId: string): string => `kfwd-incoming-${sessionId}`;
export const leasesPath = (namespace: string, name?: string): string =>
  apiPath({ group: "coordination.k8s.io", resource: "leases", namespace, ...(name ? { name } : {}) });

/** Lease times are MicroTime: RFC 3339 with microseconds. */
const microTime = (d = new Date()): string => d.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");

export function leaseObject(
  sessionId: string,
  holder: string,
  labels: Record<string, string>,
): Record<string, unknown> {
  const now = microTime();
  return {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: { name: leaseName(sessionId), labels },
    spec: {
      holderIdentity: holder.slice(0, 128),
      leaseDurationSeconds: LEASE_SECONDS,
      acquireTime: now,
      renewTime: now,
    },
  };
}

export function renewLease(client: KubeClient, namespace: string, sessionId: string): Promise<unknown> {
  return client.patch(leasesPath(namespace, leaseName(sessionId)), { spec: { renewTime: microTime() } });
}

interface Lease {
  spec?: { renewTime?: string; leaseDurationSeconds?: number };
  metadata: { creationTimestamp?: string };
}

/**
 * A session's lease: "alive" while renewed, "expired" once not renewed for its duration, "gone" when deleted —
 * the garbage collector removes it with the session's last agent Job, so the session has no agent left.
 */
export async function leaseState(
  client: KubeClient,
  namespace: string,
  name: string,
): Promise<"alive" | "expired" | "gone"> {
  try {
    const lease = await client.get<Lease>(leasesPath(namespace, name));
    const renewed = Date.parse(lease.spec?.renewTime ?? lease.metadata.creationTimestamp ?? "");
    const seconds = lease.spec?.leaseDurationSeconds ?? LEASE_SECONDS;
    return Number.isFinite(renewed) && Date.now() < renewed + seconds * 1000 ? "alive" : "expired";
  } catch (e) {
    if (isKubeApiError(e, 404)) return "gone";
    throw e;
  }
}

/**
 * Removes dead sessions from the planned Services' tables (restoring a Service left with none); how many it
 * removed.
 */
export async function reapExpired(
  client: KubeClient,
  namespace: string,
  services: readonly PlannedService[],
  note: (message: string) => void,
): Promise<number> {
  let reaped = 0;
  for (const s of services) {
    if (!s.table) continue;
    for (const [id, entry] of Object.entries(s.table.sessions)) {
      const state = await leaseState(client, namespace, entry.lease);
      if (state === "alive") continue;
      // The Lease exists before the agent writes its entry, so a gone one ends the session at once. An expired
      // one may belong to a session still starting (kfwd renews once the agent has started): an entry younger
      // than a lease period is left alone (the agent's clock wrote `since`: be generous about clocks).
      if (state === "expired" && Date.now() - Date.parse(entry.since) < LEASE_SECONDS * 1000) continue;
      const path = apiPath({ resource: "services", namespace, name: s.name });
      if (!(await updateObject<KubeService>(client, path, (svc) => leaveService(svc, id)))) continue;
      reaped++;
      note(
        `Restored Service ${s.name} for session ${id} (${entry.owner}), ${state === "gone" ? "whose agent is gone (its Lease went with its Job)" : "whose lease expired"}`,
      );
    }
  }
  return reaped;
}
