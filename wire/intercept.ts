/**
 * Incoming traffic changes only Kubernetes objects, and records how to undo each change on the object itself:
 * a Service taken over by kfwd carries the intercept table in an annotation — its original selector and every
 * session sharing it (mode, filter, agent pod IP, lease). Host and agent both read and write it (the agent
 * restores it when its tunnel ends; a later kfwd restores it for sessions whose lease expired), so the format
 * and its pure operations live here, once.
 */
import { KfwdError } from "./kfwd-error";

export const INTERCEPT_ANNOTATION = "kfwd.dev/intercept";
/** On a workload scaled to 0 by "replace": its replica count before. */
export const REPLICAS_ANNOTATION = "kfwd.dev/replaced-replicas";
/** On a workload scaled to 0 by "replace": the session that did it. */
export const REPLACED_BY_ANNOTATION = "kfwd.dev/replaced-by";

export type InterceptMode = "steal" | "mirror" | "replace";

/** An HTTP filter: a header (name lowercased; value exact, or a regex) and/or a path prefix. */
export interface HttpFilter {
  header?: { name: string; value: string; regex: boolean } | undefined;
  path?: string | undefined;
}

export interface InterceptEntry {
  mode: InterceptMode;
  /** The agent pod's IP: other sessions' agents forward requests matching this session's filter to it. */
  ip: string;
  pod: string;
  filter?: HttpFilter | undefined;
  /** The session's Lease (coordination.k8s.io) that kfwd renews; expired or gone → the entry may be removed. */
  lease: string;
  owner: string;
  since: string;
}

export interface InterceptTable {
  v: 1;
  /** The Service's selector before kfwd changed it. */
  selector: Record<string, string>;
  sessions: Record<string, InterceptEntry>;
}

/** The label an interceptor pod carries for Service `service`; the Service selects `{ [key]: "true" }`. */
export const interceptLabelKey = (service: string): string => `intercept.kfwd.dev/${service}`;
export const interceptSelector = (service: string): Record<string, string> => ({
  [interceptLabelKey(service)]: "true",
});

const isRecordOfStrings = (v: unknown): v is Record<string, string> =>
  typeof v === "object" && v !== null && !Array.isArray(v) && Object.values(v).every((s) => typeof s === "string");

/** The table in a Service's annotations, checked; undefined when the Service is not intercepted. */
export function readTable(
  annotations: Record<string, string> | undefined,
  service: string,
): InterceptTable | undefined {
  const text = annotations?.[INTERCEPT_ANNOTATION];
  if (text === undefined) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw badTable(service, "it is not JSON");
  }
  const t = raw as Partial<InterceptTable> | null;
  if (t?.v !== 1 || !isRecordOfStrings(t.selector) || typeof t.sessions !== "object" || t.sessions === null)
    throw badTable(service, "it lacks v, selector or sessions");
  for (const [id, e] of Object.entries(t.sessions)) {
    const entry = e as Partial<InterceptEntry> | null;
    if (!entry || typeof entry.ip !== "string" || typeof entry.lease !== "string" || typeof entry.mode !== "string")
      throw badTable(service, `session ${id} lacks ip, lease or mode`);
  }
  return t as InterceptTable;
}

function badTable(service: string, why: string): KfwdError {
  return new KfwdError(
    "KFWD_INTERCEPT_TABLE_INVALID",
    `Cannot read the ${INTERCEPT_ANNOTATION} annotation of Service "${service}": ${why}`,
    `Someone edited it by hand. Restore the Service's selector yourself and remove the annotation.`,
  );
}

/** A Service as far as intercepting it goes: the fields changed, and the version they were read at. */
export interface ServiceObject {
  metadata: { name: string; resourceVersion?: string; annotations?: Record<string, string> };
  spec: { selector?: Record<string, string> };
}

/**
 * Add (or refresh) session `id` to the Service; the first session records the selector and switches it to the
 * interceptor label. Shared only among filtered sessions of the same mode: an unfiltered steal, a mirror or a
 * replace holds the Service alone. Returns the Service to write (with its resourceVersion: a conflict retries).
 */
export function joinService<S extends ServiceObject>(svc: S, id: string, entry: InterceptEntry): S {
  const name = svc.metadata.name;
  const table = readTable(svc.metadata.annotations, name) ?? {
    v: 1 as const,
    selector: svc.spec.selector ?? {},
    sessions: {},
  };
  for (const [otherId, other] of Object.entries(table.sessions)) {
    if (otherId === id) continue;
    const shareable = entry.mode === "steal" && other.mode === "steal" && entry.filter && other.filter;
    if (!shareable)
      throw new KfwdError(
        "KFWD_INCOMING_TAKEN",
        `Service "${name}" is already intercepted by session ${otherId} (${other.owner}, ${describeEntry(other)})`,
        "Only sessions with a header or path filter share a Service. Wait for that session to end, or add a filter to both.",
      );
  }
  table.sessions[id] = entry;
  return {
    ...svc,
    metadata: {
      ...svc.metadata,
      annotations: { ...svc.metadata.annotations, [INTERCEPT_ANNOTATION]: JSON.stringify(table) },
    },
    spec: { ...svc.spec, selector: interceptSelector(name) },
  };
}

/**
 * Remove session `id`; the last one leaving puts the original selector back and drops the annotation.
 * Undefined when there is nothing to change (not intercepted, or not by this session).
 */
export function leaveService<S extends ServiceObject>(svc: S, id: string): S | undefined {
  const table = readTable(svc.metadata.annotations, svc.metadata.name);
  if (!table || !(id in table.sessions)) return undefined;
  delete table.sessions[id];
  const annotations = { ...svc.metadata.annotations };
  if (Object.keys(table.sessions).length > 0) {
    annotations[INTERCEPT_ANNOTATION] = JSON.stringify(table);
    return { ...svc, metadata: { ...svc.metadata, annotations } };
  }
  delete annotations[INTERCEPT_ANNOTATION];
  return { ...svc, metadata: { ...svc.metadata, annotations }, spec: { ...svc.spec, selector: table.selector } };
}

export function describeEntry(e: InterceptEntry): string {
  const f = e.filter;
  const parts: string[] = [e.mode];
  if (f?.header) parts.push(`${f.header.name}: ${f.header.regex ? `/${f.header.value}/` : f.header.value}`);
  if (f?.path) parts.push(`path ${f.path}*`);
  return parts.join(", ");
}

/** Whether request head fields match a filter (header names lowercased by the caller). */
export function filterMatches(filter: HttpFilter, path: string, header: (name: string) => readonly string[]): boolean {
  if (filter.path !== undefined && !path.startsWith(filter.path)) return false;
  const h = filter.header;
  if (h) {
    const values = header(h.name);
    if (h.regex) {
      const re = new RegExp(h.value);
      if (!values.some((v) => re.test(v))) return false;
    } else if (!values.includes(h.value)) return false;
  }
  return true;
}

/** One port the interceptor takes: a Service port, and the container port its endpoints use (where it listens). */
export interface InterceptPort {
  service: string;
  /** The Service port: the host maps it to a host port (`[incoming] ports`). */
  port: number;
  /** The container port behind it: the agent listens here. */
  listen: number;
  /** Where mirror and filter send what is not the host's: the origin Service's ClusterIP and port. */
  origin?: { host: string; port: number } | undefined;
}

/** Params of the `incomingStart` call. */
export interface IncomingStartParams {
  namespace: string;
  session: string;
  mode: InterceptMode;
  filter?: HttpFilter | undefined;
  ports: InterceptPort[];
  /** The Services whose selector the agent switches (steal, mirror) or only watches (replace). */
  services: string[];
  lease: string;
  owner: string;
  /** replace: the workload the agent scales to 0 and back. */
  workload?: { group: string; resource: string; name: string } | undefined;
  /**
   * The port the pod's readiness probe checks, apart from the data ports: the agent closes it first when it
   * leaves, so its pod stops being an endpoint while it still serves (a pod keeps its intercept label).
   */
  readyPort?: number | undefined;
}

/** A port for the readiness probe that none of `listen` uses. */
export function readyPortFor(listen: readonly number[]): number {
  let port = 15021;
  while (listen.includes(port)) port++;
  return port;
}

/** Counters per port, as the agent sees them (`kfwd status`). */
export interface InterceptPortStats {
  service: string;
  port: number;
  connections: number;
  requests: number;
  toHost: number;
  toOrigin: number;
  toPeers: number;
  /** Connections or requests the host refused (nothing listening): reset or 502. */
  refused: number;
  /** mirror: bytes copied to the host, and dropped because the host was slower than the cluster's traffic. */
  mirroredBytes: number;
  droppedBytes: number;
}

/** A port's counters before any traffic. */
export function emptyPortStats(service: string, port: number): InterceptPortStats {
  return {
    service,
    port,
    connections: 0,
    requests: 0,
    toHost: 0,
    toOrigin: 0,
    toPeers: 0,
    refused: 0,
    mirroredBytes: 0,
    droppedBytes: 0,
  };
}

/** The stream kind of connections and requests the agent hands to the host. */
export const INCOMING_KIND = "incoming";
