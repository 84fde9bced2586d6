import type { ArgsDef } from "citty";
import { KubeClient } from "../kube/client";
import { loadProfile } from "../profile/index";

/** Flags of commands that talk to a cluster without needing a profile (ls, init). */
export const clusterArgs = {
  kubeconfig: { type: "string", description: "The kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)" },
  context: { type: "string", description: "The kubeconfig context (default: the current one)" },
  namespace: { type: "string", alias: "n", description: "The namespace (default: the context's, else default)" },
} as const satisfies ArgsDef;

export interface ClusterFlags {
  kubeconfig?: string | undefined;
  context?: string | undefined;
  namespace?: string | undefined;
  profile?: string | undefined;
}

/** A client for the flags; a profile's [cluster] fills what the flags leave unset. */
export async function clientFor(flags: ClusterFlags): Promise<KubeClient> {
  const cluster = flags.profile ? (await loadProfile(flags.profile)).cluster : undefined;
  return KubeClient.fromKubeconfig({
    kubeconfig: flags.kubeconfig ?? cluster?.kubeconfig,
    context: flags.context ?? cluster?.context,
    namespace: flags.namespace ?? cluster?.namespace,
  });
}
