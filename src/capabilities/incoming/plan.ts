/**
 * Before anything changes: which Services and ports the session takes, what their endpoints point at, which
 * workload "replace" scales, and whether the user may do it all. Every problem found here is an error that
 * names the fix, raised before the first object is created.
 */
import { type InterceptTable, readTable } from "../../../wire/intercept";
import { KfwdError } from "../../errors";
import { apiPath, isKubeApiError, type KubeClient } from "../../kube/index";
import type { Pod } from "../../kube/types";
import type { ResolvedTarget } from "../../launch/kube/resolve";
import type { IncomingSettings } from "./settings";

export interface ServicePort {
  name?: string | undefined;
  port: number;
  targetPort?: number | string | undefined;
  protocol?: string | undefined;
}

export interface KubeService {
  metadata: { name: string; resourceVersion?: string; annotations?: Record<string, string> };
  spec: { selector?: Record<string, string>; ports?: ServicePort[]; clusterIP?: string };
}

export interface PlannedPort {
  service: string;
  port: number;
  /** The container port the Service's endpoints use: where the agent listens. */
  listen: number;
  /** A named targetPort: the agent's container declares the same name, so the endpoints resolve to it. */
  portName?: string | undefined;
  host: number;
  spec: ServicePort;
}

export interface PlannedService {
  name: string;
  /** The selector before kfwd (from the intercept table when another session holds the Service already). */
  selector: Record<string, string>;
  table: InterceptTable | undefined;
}

export interface Workload {
  group: string;
  resource: "deployments" | "statefulsets";
  name: string;
  /** The pod template's labels: the agent pod carries them, so every Service of the workload selects it. */
  podLabels: Record<string, string>;
  replicas: number;
}

export interface IncomingPlan {
  services: PlannedService[];
  ports: PlannedPort[];
  workload?: Workload | undefined;
}

const matches = (selector: Record<string, string>, labels: Record<string, string>): boolean =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);

export async function planIncoming(
  client: KubeClient,
  namespace: string,
  target: ResolvedTarget | undefined,
  settings: IncomingSettings,
  serviceName: string | undefined,
): Promise<IncomingPlan> {
  if (!target)
    throw new KfwdError(
      "KFWD_INCOMING_NO_TARGET",
      `${settings.profilePath}: [incoming] needs a target whose traffic to take`,
      'Set service = "<name>" (or pod/workload) in [target].',
    );
  const podLabels = target.pod.metadata.labels ?? {};
  const all = await client.list<KubeService>(apiPath({ resource: "services", namespace }));
  const services = all.items.filter((s) => {
    const selector = originalSelector(s);
    return serviceName !== undefined ? s.metadata.name === serviceName : matches(selector, podLabels);
  });
  if (services.length === 0)
    throw new KfwdError(
      "KFWD_INCOMING_NO_SERVICE",
      `No Service in namespace "${namespace}" selects pod ${target.pod.metadata.name}: there is no traffic to take`,
      "Name the Service in [target] service, or create one for the workload.",
    );
  const ports = planPorts(services, target.pod, settings);
  const planned = services.map((s) => ({
    name: s.metadata.name,
    selector: originalSelector(s),
    table: readTable(s.metadata.annotations, s.metadata.name),
  }));
  const workload = settings.mode === "replace" ? await findWorkload(client, namespace, target.pod) : undefined;
  return { services: planned, ports, workload };
}

export function originalSelector(s: KubeService): Record<string, string> {
  return readTable(s.metadata.annotations, s.metadata.name)?.selector ?? s.spec.selector ?? {};
}

function planPorts(services: KubeService[], pod: Pod, settings: IncomingSettings): PlannedPort[] {
  const out: PlannedPort[] = [];
  const wanted = new Map(settings.ports.map((p) => [p.port, p.host]));
  const seen = new Set<number>();
  for (const svc of services) {
    for (const spec of svc.spec.ports ?? []) {
      if ((spec.protocol ?? "TCP") !== "TCP") continue;
      if (wanted.size > 0 && !wanted.has(spec.port)) continue;
      seen.add(spec.port);
      const target = spec.targetPort ?? spec.port;
      let listen: number;
      let portName: string | undefined;
      if (typeof target === "number") listen = target;
      else {
        const found = pod.spec.containers.flatMap((c) => c.ports ?? []).find((p) => p.name === target);
        if (!found)
          throw new KfwdError(
            "KFWD_INCOMING_PORT",
            `Service "${svc.metadata.name}" port ${spec.port} targets the port named "${target}", which pod ${pod.metadata.name} does not declare`,
            "Fix the Service's targetPort, or name a pod that declares that port.",
          );
        listen = found.containerPort;
        portName = target;
      }
      out.push({
        service: svc.metadata.name,
        port: spec.port,
        listen,
        portName,
        host: wanted.get(spec.port) ?? spec.port,
        spec,
      });
    }
  }
  const missing = [...wanted.keys()].filter((p) => !seen.has(p));
  if (missing.length > 0 || out.length === 0) {
    const offered = services.map((s) => `${s.metadata.name}: ${(s.spec.ports ?? []).map((p) => p.port).join(", ")}`);
    throw new KfwdError(
      "KFWD_INCOMING_PORT",
      `${settings.profilePath}: [incoming] ports ${missing.length > 0 ? missing.join(", ") : "(all)"}: no such TCP port on ${services.map((s) => `Service "${s.metadata.name}"`).join(", ")} (it has ${offered.join("; ")})`,
      "List Service ports (not container ports) in [incoming] ports.",
    );
  }
  const listens = new Map<number, string>();
  for (const p of out) {
    const other = listens.get(p.listen);
    if (other !== undefined && other !== `${p.host}`)
      throw new KfwdError(
        "KFWD_INCOMING_PORT",
        `Two Service ports reach container port ${p.listen} but go to different host ports`,
        "Map them to one host port in [incoming] ports.",
      );
    listens.set(p.listen, `${p.host}`);
  }
  return out;
}

interface OwnedMeta {
  metadata: { name: string; ownerReferences?: Array<{ kind: string; name: string; controller?: boolean }> };
}
interface WorkloadObject extends OwnedMeta {
  spec: { replicas?: number; template: { metadata?: { labels?: Record<string, string> } } };
}

/** The Deployment or StatefulSet the pod belongs to (through its ReplicaSet for a Deployment). */
async function findWorkload(client: KubeClient, namespace: string, pod: Pod): Promise<Workload> {
  const controller = (o: OwnedMeta) => o.metadata.ownerReferences?.find((r) => r.controller);
  let ref = controller(pod as unknown as OwnedMeta);
  if (ref?.kind === "ReplicaSet") {
    const rs = await client.get<OwnedMeta>(
      apiPath({ group: "apps", resource: "replicasets", namespace, name: ref.name }),
    );
    ref = controller(rs);
  }
  if (!ref || (ref.kind !== "Deployment" && ref.kind !== "StatefulSet"))
    throw new KfwdError(
      "KFWD_INCOMING_NO_WORKLOAD",
      `[incoming] mode "replace": pod ${pod.metadata.name} belongs to no Deployment or StatefulSet, so there is nothing to scale to 0`,
      'Use mode = "steal" (it takes the Service and leaves the pods alone).',
    );
  const resource = ref.kind === "Deployment" ? "deployments" : "statefulsets";
  const w = await client.get<WorkloadObject>(apiPath({ group: "apps", resource, namespace, name: ref.name }));
  return {
    group: "apps",
    resource,
    name: ref.name,
    podLabels: w.spec.template.metadata?.labels ?? {},
    replicas: w.spec.replicas ?? 1,
  };
}

interface Hpa {
  metadata: { name: string };
  spec: { scaleTargetRef: { kind: string; name: string } };
}

/** HPAs scaling the workload (none when the user may not list them: then nothing can be said). */
export async function hpasOf(client: KubeClient, namespace: string, w: Workload): Promise<string[] | undefined> {
  try {
    const list = await client.list<Hpa>(
      apiPath({ group: "autoscaling", version: "v2", resource: "horizontalpodautoscalers", namespace }),
    );
    const kind = w.resource === "deployments" ? "Deployment" : "StatefulSet";
    return list.items
      .filter((h) => h.spec.scaleTargetRef.kind === kind && h.spec.scaleTargetRef.name === w.name)
      .map((h) => h.metadata.name);
  } catch (e) {
    if (isKubeApiError(e, 403) || isKubeApiError(e, 404)) return undefined;
    throw e;
  }
}

/** What the session will do, for SelfSubjectAccessReview: each is checked before anything is created. */
export function neededPermissions(plan: IncomingPlan, settings: IncomingSettings) {
  const perms: Array<{ verb: string; group: string; resource: string }> = [
    { verb: "create", group: "", resource: "serviceaccounts" },
    { verb: "create", group: "rbac.authorization.k8s.io", resource: "roles" },
    { verb: "create", group: "rbac.authorization.k8s.io", resource: "rolebindings" },
    { verb: "patch", group: "batch", resource: "jobs" },
    { verb: "create", group: "coordination.k8s.io", resource: "leases" },
    { verb: "get", group: "coordination.k8s.io", resource: "leases" },
    { verb: "patch", group: "coordination.k8s.io", resource: "leases" },
    // Granted to the agent's Role (its drain, and replace's restored pods read the EndpointSlices): held by the user.
    { verb: "list", group: "discovery.k8s.io", resource: "endpointslices" },
  ];
  if (settings.mode !== "replace") {
    perms.push({ verb: "get", group: "", resource: "services" }, { verb: "update", group: "", resource: "services" });
    // The origin Service (what a session's agent sends to the pods).
    perms.push({ verb: "create", group: "", resource: "services" });
  }
  if (plan.workload)
    perms.push(
      { verb: "get", group: "apps", resource: plan.workload.resource },
      { verb: "update", group: "apps", resource: plan.workload.resource },
    );
  return perms;
}
