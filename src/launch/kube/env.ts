/**
 * The target container's env, handed to the agent's container so that the kubelet resolves it exactly as it
 * did for the target: ConfigMap and Secret references, `$(VAR)` expansion, envFrom prefixes and optional keys,
 * service-link variables (same namespace, same enableServiceLinks). The agent then answers the `env` call with
 * its own environment. Why not compute it on the host: no Secret or ConfigMap ever has to be read by kfwd (no
 * `get secrets` in the Role), and every rule of the kubelet's is followed by the kubelet itself.
 *
 * Only the downward API describes "this pod", so for a separate agent pod `fieldRef` and `resourceFieldRef`
 * are resolved here from the target pod. What no spec shows is the image's ENV: only placement "ephemeral"
 * sees that (it reads /proc/<pid>/environ).
 */
import type { Container, EnvVar, Pod } from "../../kube/types";

/** For an ephemeral container in the target pod: the downward API already means the right pod. */
export function envForEphemeral(container: Container): Pick<Container, "env" | "envFrom"> {
  const env = (container.env ?? []).map((v): EnvVar => {
    const ref = v.valueFrom?.resourceFieldRef;
    // Without containerName it would describe the ephemeral container, which has no resources.
    return ref && !ref.containerName
      ? { ...v, valueFrom: { resourceFieldRef: { ...ref, containerName: container.name } } }
      : v;
  });
  return { env, ...(container.envFrom ? { envFrom: container.envFrom } : {}) };
}

/** For a separate agent pod: downward API values become literals taken from the target pod. */
export function envForAgentPod(
  pod: Pod,
  container: Container,
  warn: (m: string) => void,
): Pick<Container, "env" | "envFrom"> {
  const env: EnvVar[] = [];
  for (const v of container.env ?? []) {
    const field = v.valueFrom?.fieldRef;
    const resource = v.valueFrom?.resourceFieldRef;
    if (field) {
      const value = fieldValue(pod, field.fieldPath);
      if (value === undefined)
        warn(`env ${v.name}: cannot resolve fieldRef "${field.fieldPath}" of the target pod; left out`);
      else env.push({ name: v.name, value });
    } else if (resource) {
      const value = resourceValue(pod, resource.containerName ?? container.name, resource.resource, resource.divisor);
      if (value === undefined)
        warn(
          `env ${v.name}: the target sets no ${resource.resource}, which the kubelet would take from the node; left out`,
        );
      else env.push({ name: v.name, value });
    } else {
      env.push(v);
    }
  }
  return { env, ...(container.envFrom ? { envFrom: container.envFrom } : {}) };
}

function fieldValue(pod: Pod, path: string): string | undefined {
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (m) return (m[1] === "labels" ? pod.metadata.labels : pod.metadata.annotations)?.[m[2] ?? ""];
  const s = pod.status;
  switch (path) {
    case "metadata.name":
      return pod.metadata.name;
    case "metadata.namespace":
      return pod.metadata.namespace;
    case "metadata.uid":
      return pod.metadata.uid;
    case "metadata.labels":
      return formatMap(pod.metadata.labels);
    case "metadata.annotations":
      return formatMap(pod.metadata.annotations);
    case "spec.nodeName":
      return pod.spec.nodeName;
    case "spec.serviceAccountName":
      return pod.spec.serviceAccountName;
    case "status.podIP":
      return s?.podIP;
    case "status.podIPs":
      return s?.podIPs?.map((p) => p.ip).join(",");
    case "status.hostIP":
      return s?.hostIP;
    case "status.hostIPs":
      return s?.hostIPs?.map((p) => p.ip).join(",");
    default:
      return undefined;
  }
}

/** The kubelet's format for whole label/annotation maps: `key="value"` lines, sorted. */
const formatMap = (m: Record<string, string> | undefined): string =>
  Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify(m?.[k])}`)
    .join("\n");

function resourceValue(
  pod: Pod,
  containerName: string,
  resource: string,
  divisor: string | undefined,
): string | undefined {
  const c = pod.spec.containers.find((x) => x.name === containerName);
  const [kind, name = ""] = resource.split(".");
  const raw =
    (kind === "limits" ? c?.resources?.limits : c?.resources?.requests)?.[name] ??
    (kind === "requests" ? c?.resources?.limits?.[name] : undefined);
  if (raw === undefined) return undefined;
  const value = parseQuantity(raw);
  const by = parseQuantity(divisor ?? "1");
  // The kubelet rounds up (ceil) so a CPU limit of 500m reads as "1" with the default divisor.
  return String(Math.ceil(value / by));
}

const SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

export function parseQuantity(q: string): number {
  const m = /^([0-9.]+)(e[0-9]+)?([a-zA-Z]*)$/.exec(q.trim());
  if (!m) return Number.NaN;
  return Number(m[1] + (m[2] ?? "")) * (SUFFIX[m[3] ?? ""] ?? Number.NaN);
}
