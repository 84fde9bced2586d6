/** The first two checks: the kubeconfig gives a context, and the API server answers and knows who we are. */
import { KfwdError } from "../errors";
import { KubeClient } from "../kube/client";
import { currentUser, type ClusterUser } from "../kube/current-user";
import type { ServerVersion } from "../kube/types";
import type { Profile } from "../profile/index";
import type { CheckResult } from "./types";
import { shownProxy } from "../kube/proxy";

export function failed(id: string, title: string, e: unknown): CheckResult {
  if (e instanceof KfwdError)
    return { id, title, status: "fail", detail: e.message, ...(e.hint ? { hint: e.hint } : {}) };
  return { id, title, status: "fail", detail: e instanceof Error ? e.message : String(e) };
}

export async function checkKubeconfig(profile: Profile): Promise<{ result: CheckResult; client?: KubeClient }> {
  const title = "kubeconfig";
  try {
    const c = profile.cluster;
    const client = await KubeClient.fromKubeconfig({
      kubeconfig: c.kubeconfig,
      context: c.context,
      namespace: c.namespace,
    });
    const ctx = client.context;
    const via = client.proxy ? ` through the proxy ${shownProxy(client.proxy.url)} (from ${client.proxy.source})` : "";
    const detail = `context "${ctx.contextName}", server ${ctx.cluster.server}${via}, user "${ctx.userName}", namespace "${client.namespace}"`;
    return { result: { id: "kubeconfig", title, status: "ok", detail }, client };
  } catch (e) {
    return { result: failed("kubeconfig", title, e) };
  }
}

export async function checkCluster(client: KubeClient): Promise<{ result: CheckResult; user?: ClusterUser }> {
  const title = "cluster";
  try {
    // /version needs no credentials on most clusters, so it proves reachability; SelfSubjectReview proves the login.
    const version = await client.get<ServerVersion>("/version");
    const user = await currentUser(client);
    const who =
      user.source === "server"
        ? `authenticated as "${user.name}"`
        : `logged in (the server did not say as whom; using the kubeconfig user "${user.name}")`;
    if (user.source === "server" && user.name === "system:anonymous") {
      return {
        result: {
          id: "cluster",
          title,
          status: "fail",
          detail: `Kubernetes ${version.gitVersion ?? "?"} answers, but treats kfwd as anonymous`,
          hint: "The kubeconfig's credentials were not accepted: check they belong to this cluster and have not expired.",
        },
      };
    }
    return {
      result: {
        id: "cluster",
        title,
        status: "ok",
        detail: `Kubernetes ${version.gitVersion ?? "(unknown version)"} at ${client.server}, ${who}`,
      },
      user,
    };
  } catch (e) {
    return { result: failed("cluster", title, e) };
  }
}
