/**
 * Who "the current user" is to the cluster, as the owner label on kfwd's objects needs it. The API server
 * knows best (SelfSubjectReview, GA in 1.28: the authenticated name, whatever the credential — token, exec
 * plugin, OIDC); only when it cannot say (older servers answer 404, some proxies 403) do we fall back to the
 * kubeconfig's user entry name. Session start and `kfwd clean` must use this same function, or leftovers
 * would carry an owner that clean never matches.
 */
import { isKubeApiError } from "./api-errors";
import type { KubeClient } from "./client";
import { ownerLabel } from "./labels";

export interface ClusterUser {
  name: string;
  groups: string[];
  /** "server": from SelfSubjectReview; "kubeconfig": the user entry's name (the server could not tell). */
  source: "server" | "kubeconfig";
}

interface SelfSubjectReview {
  status?: { userInfo?: { username?: string; groups?: string[] } };
}

const cache = new WeakMap<KubeClient, Promise<ClusterUser>>();

export function currentUser(client: KubeClient): Promise<ClusterUser> {
  let found = cache.get(client);
  if (!found) {
    found = lookUp(client);
    cache.set(client, found);
    found.catch(() => cache.delete(client));
  }
  return found;
}

async function lookUp(client: KubeClient): Promise<ClusterUser> {
  try {
    const review = await client.create<SelfSubjectReview>("/apis/authentication.k8s.io/v1/selfsubjectreviews", {
      apiVersion: "authentication.k8s.io/v1",
      kind: "SelfSubjectReview",
    });
    const name = review?.status?.userInfo?.username;
    if (name) return { name, groups: review.status?.userInfo?.groups ?? [], source: "server" };
  } catch (e) {
    // 401 and unreachable servers are real failures; "this API does not exist / is not for you" is not.
    if (!isKubeApiError(e, 404) && !isKubeApiError(e, 403)) throw e;
  }
  return { name: client.context.userName, groups: [], source: "kubeconfig" };
}

/** The owner label value for the current user (see labels.ts ownerLabel). */
export async function currentOwnerLabel(client: KubeClient): Promise<string> {
  return ownerLabel((await currentUser(client)).name);
}
