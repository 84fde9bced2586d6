import { createHash } from "node:crypto";
import type { KubeClient } from "./client";
import { currentUser, localUser } from "./current-user";

/**
 * Every object kfwd creates in a cluster carries these labels, so that kfwd can find (and remove) exactly its
 * own objects: a session's on exit, the current user's leftovers in `kfwd clean`, never someone else's.
 */
export const LABEL = {
  managedBy: "app.kubernetes.io/managed-by",
  session: "kfwd.dev/session",
  owner: "kfwd.dev/owner",
} as const;

export const MANAGED_BY = "kfwd";

/** Annotations are for people reading the object: who made it and from which profile. */
export const ANNOTATION = {
  owner: "kfwd.dev/owner",
  profile: "kfwd.dev/profile",
  startedAt: "kfwd.dev/started-at",
} as const;

/** "<cluster user> as <os user>@<host>": two developers sharing one kubeconfig identity still differ. */
export function ownerName(clusterUser: string): string {
  return `${clusterUser} as ${localUser()}`;
}

/** A label value (≤ 63 chars, [a-z0-9]) that stands for the owner. */
export function ownerLabel(clusterUser: string): string {
  return createHash("sha256").update(ownerName(clusterUser)).digest("hex").slice(0, 16);
}

/** The owner label value for the current user. Session start and `kfwd clean` both use it. */
export async function currentOwnerLabel(client: KubeClient): Promise<string> {
  return ownerLabel((await currentUser(client)).name);
}

export function sessionLabels(sessionId: string, clusterUser: string): Record<string, string> {
  return { [LABEL.managedBy]: MANAGED_BY, [LABEL.session]: sessionId, [LABEL.owner]: ownerLabel(clusterUser) };
}

export const selector = (labels: Record<string, string>): string =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
