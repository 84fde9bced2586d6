/**
 * Which pods are ready endpoints of a Service, from its EndpointSlices (addresses and readiness only; the session's
 * Role allows `list` on them): a leaving agent waits until it is no longer one, and a replace agent whose host is
 * gone sends what still arrives to the restored workload's.
 */
import type { InClusterKube } from "./kube";

interface EndpointSliceList {
  items: Array<{
    endpoints?: Array<{ addresses?: string[]; conditions?: { ready?: boolean; terminating?: boolean } }>;
  }>;
}

/** The ready, not terminating endpoint addresses of `services`, from their EndpointSlices. */
export async function readyEndpoints(
  kube: InClusterKube,
  namespace: string,
  services: readonly string[],
): Promise<Set<string>> {
  const found = new Set<string>();
  for (const service of services) {
    const selector = encodeURIComponent(`kubernetes.io/service-name=${service}`);
    const list = await kube.get<EndpointSliceList>(
      `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices?labelSelector=${selector}`,
    );
    for (const slice of list.items ?? [])
      for (const endpoint of slice.endpoints ?? [])
        if (endpoint.conditions?.ready !== false && endpoint.conditions?.terminating !== true)
          for (const address of endpoint.addresses ?? []) found.add(address);
  }
  return found;
}
