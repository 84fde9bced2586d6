/**
 * The one place that says who "the current user" is: to the cluster (`currentUser`), and on this machine
 * (`localUser`). The owner label on kfwd's objects combines both.
 *
 * To the cluster: The API server
 * knows best (SelfSubjectReview, GA in 1.28: the authenticated name, whatever the credential — token, exec
 * plugin, OIDC); only when it cannot say (older servers answer 404, some proxies 403) do we fall back to the
 * kubeconfig's user entry name. Session start and `kfwd clean` must use this same function, or leftovers
 * would carry an owner that clean never matches.
 */
import { hostname, userInfo } from "node:os";
import { isKubeApiError } from "./api-errors";
import type { KubeClient } from "./client";
import type { SelfSubjectReview } from "./types";

export interface ClusterUser {
  name: string;
  groups: string[];
  /** "server": from SelfSubjectReview; "kubeconfig": the user entry's name (the server could not tell). */
  source: "server" | "kubeconfig";
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

/** "<os user>@<host>": two developers sharing one kubeconfig identity still differ. */
export function localUser(): string {
  return `${userInfo().username}@${hostname()}`;
}
