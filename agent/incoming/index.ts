/**
 * The agent's side of [incoming]: listens where the Service's endpoints point (the container ports), takes the
 * Service (its selector switched to this pod's intercept label, recorded in the Service's annotation) or, for
 * replace, scales the workload to 0 — and gives everything back when told to, or when its tunnel ends (kfwd
 * killed: stdin ends; laptop gone: idle timeout), before the agent exits. That is what restores a Service
 * within seconds of kill -9, with nothing installed in the cluster: the pod's service account may only touch
 * the objects of this session (a Role kfwd made for it, by resourceNames).
 */
import { hostname } from "node:os";
import { createServer, type Server, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { CallHandlers } from "../../wire/calls";
import {
  INCOMING_KIND,
  type IncomingStartParams,
  type InterceptPortStats,
  type InterceptTable,
  emptyPortStats,
  filterMatches,
  joinService,
  leaveService,
  readTable,
  REPLACED_BY_ANNOTATION,
  REPLICAS_ANNOTATION,
  type ServiceObject,
} from "../../wire/intercept";
import { KfwdError } from "../../wire/kfwd-error";
import type { Mux } from "../../wire/mux";
import { filterConnection, mirrorConnection, type PortContext, type Route, stealConnection } from "./connections";
import { type InClusterKube, inClusterKube, servicePath, updateObject } from "./kube";
import { readyEndpoints } from "./endpoints";
import { type RestoredPods, restoredPods } from "./restored-pods";

/**
 * After giving the Service back and turning unready, keep serving at least this long: the readiness probe (every
 * second) fails, the endpoint goes, and kube-proxy moves new connections away meanwhile.
 */
const DRAIN_MS = 2500;
/** On a busy node the endpoint can take longer to go: the drain waits for it (read from the EndpointSlices) up
 *  to this, then one kube-proxy sync more. */
const DRAIN_MAX_MS = 10_000;
/** How often a filtered session reads the other sessions sharing its Service. */
const PEER_POLL_MS = 1000;
/** Kept-alive connections still open after the drain: ended between requests, reset after this. */
const CLOSE_GRACE_MS = 1000;

interface Running {
  params: IncomingStartParams;
  kube: InClusterKube;
  servers: Server[];
  /** The readiness probe's listener: closed first when leaving. */
  ready: Server | undefined;
  sockets: Set<Socket>;
  /** Filter connections waiting for their next request: ended at once when the agent closes. */
  idle: Set<Socket>;
  /** The host is gone (tunnel ended): what is still sent here goes to the origin. */
  hostGone: boolean;
  /** replace, host gone: the restored workload's Ready pods, which what still arrives here waits for. */
  restoredPods: RestoredPods | undefined;
  /** The drain is over: connections end at their next request boundary. */
  closing: boolean;
  stats: InterceptPortStats[];
  peers: InterceptTable["sessions"];
  poll: ReturnType<typeof setInterval> | undefined;
  restored: boolean;
  /** A connection arrived (the kubelet's readiness probe is the first): the pod is about to be Ready. */
  probed: boolean;
}

export interface IncomingAgent {
  readonly handlers: Pick<CallHandlers, "incomingStart" | "incomingStop" | "incomingStats">;
  attach(mux: Mux): void;
  /** The tunnel ended: give everything back at once; what still arrives during the drain goes to the origin. */
  shutdown(): Promise<void>;
}

export function incomingAgent(log: (message: string) => void, makeKube = inClusterKube): IncomingAgent {
  let mux: Mux | undefined;
  let running: Running | undefined;

  const restore = async (r: Running): Promise<string[]> => {
    if (r.restored) return [];
    r.restored = true;
    if (r.poll) clearInterval(r.poll);
    const { params, kube } = r;
    const done: string[] = [];
    for (const name of params.services) {
      if (params.mode === "replace") continue;
      try {
        const changed = await updateObject<ServiceObject & { metadata: { resourceVersion?: string } }>(
          kube,
          servicePath(params.namespace, name),
          (svc) => leaveService(svc, params.session),
        );
        if (changed) done.push(`service/${name}`);
      } catch (e) {
        log(`warning: could not give Service ${name} back: ${(e as Error).message}`);
      }
    }
    if (params.workload) {
      try {
        if (await restoreWorkload(kube, params)) done.push(`${params.workload.resource}/${params.workload.name}`);
      } catch (e) {
        log(`warning: could not restore ${params.workload.resource}/${params.workload.name}: ${(e as Error).message}`);
      }
    }
    log(`incoming: restored ${done.join(", ") || "nothing (already restored)"}`);
    return done;
  };

  const close = async (r: Running): Promise<void> => {
    r.closing = true;
    r.restoredPods?.stop();
    r.ready?.close();
    for (const s of r.servers) s.close();
    // Between requests a FIN is what an HTTP client expects of a kept-alive connection; a raw stolen connection
    // gets one too. Whatever is still open after the grace is reset.
    for (const s of r.idle) s.end();
    if (!r.params.filter) for (const s of r.sockets) s.end();
    for (let waited = 0; r.sockets.size > 0 && waited < CLOSE_GRACE_MS; waited += 50) await Bun.sleep(50);
    for (const s of r.sockets) s.destroy();
  };

  /** Gives everything back, turns unready, serves on while kube-proxy catches up, then closes. */
  const leave = async (r: Running, hostGone: boolean): Promise<string[]> => {
    r.hostGone ||= hostGone;
    if (r.hostGone && r.params.mode === "replace" && !r.restoredPods)
      r.restoredPods = restoredPods(r.kube, r.params.namespace, r.params.services, process.env.KFWD_POD_IP ?? "", log);
    const restored = await restore(r);
    // replace: the workload's pods take a while to be Ready again; until then this agent is the only endpoint.
    if (r.params.mode === "replace" && r.params.workload) await podsReady(r.kube, r.params);
    r.ready?.close();
    await drain(r);
    await close(r);
    return restored;
  };

  /** Serves on until this pod is no endpoint of the Services any more and kube-proxy had a sync to follow. */
  const drain = async (r: Running): Promise<void> => {
    const started = performance.now();
    await Bun.sleep(DRAIN_MS);
    const self = process.env.KFWD_POD_IP;
    if (!self) return;
    try {
      let listed = false;
      while (performance.now() - started < DRAIN_MAX_MS) {
        if (!(await readyEndpoints(r.kube, r.params.namespace, r.params.services)).has(self)) break;
        listed = true;
        await Bun.sleep(250);
      }
      if (listed) await Bun.sleep(PROXY_SYNC_MS);
    } catch (e) {
      log(`incoming: cannot read the Services' endpoints while draining: ${(e as Error).message}`);
    }
  };

  const handlers: IncomingAgent["handlers"] = {
    async incomingStart(params) {
      if (running) throw new KfwdError("KFWD_INCOMING_STARTED", "This agent already takes incoming traffic");
      const kube = makeKube();
      const r: Running = {
        params,
        kube,
        servers: [],
        ready: undefined,
        sockets: new Set(),
        idle: new Set(),
        hostGone: false,
        restoredPods: undefined,
        closing: false,
        stats: params.ports.map((p) => emptyPortStats(p.service, p.port)),
        peers: {},
        poll: undefined,
        restored: false,
        probed: false,
      };
      running = r;
      try {
        // Known before this pod can be an endpoint (a shared Service already selects it once it is Ready): a
        // request for another session that lands here first must reach that session, upgrades included.
        if (params.filter) await refreshPeers(r);
        for (const [i, port] of params.ports.entries()) {
          const ctx = portContext(r, i);
          const handle =
            params.mode === "mirror" ? mirrorConnection : params.filter ? filterConnection : stealConnection;
          const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) => {
            r.probed = true;
            r.sockets.add(socket);
            socket.once("close", () => r.sockets.delete(socket));
            socket.setNoDelay(true);
            socket.on("error", () => {});
            ctx.stats.connections++;
            void handle(socket, ctx);
          });
          await new Promise<void>((resolve, reject) => {
            server.once("error", reject);
            server.listen({ port: port.listen, host: "0.0.0.0" }, () => resolve());
          });
          r.servers.push(server);
        }
        if (params.readyPort !== undefined) {
          const ready = createServer((socket) => {
            r.probed = true;
            socket.destroy();
          });
          await new Promise<void>((resolve, reject) => {
            ready.once("error", reject);
            ready.listen({ port: params.readyPort, host: "0.0.0.0" }, () => resolve());
          });
          r.ready = ready;
        }
        // Take traffic only once the pod is Ready (its readiness probe checks this listener), else a switched
        // Service would have no ready endpoint for a moment.
        for (let waited = 0; !r.probed && waited < 5000; waited += 50) await Bun.sleep(50);
        await Bun.sleep(1000);
        if (params.mode === "replace" && params.workload) {
          await replaceWorkload(kube, params);
          await podsGone(kube, params);
        } else {
          const entry = {
            mode: params.mode,
            ip: process.env.KFWD_POD_IP ?? "",
            pod: hostname(),
            lease: params.lease,
            owner: params.owner,
            since: new Date().toISOString(),
            ...(params.filter ? { filter: params.filter } : {}),
          };
          let shared = false;
          for (const name of params.services) {
            await updateObject<ServiceObject & { metadata: { resourceVersion?: string } }>(
              kube,
              servicePath(params.namespace, name),
              (svc) => {
                const joined = joinService(svc, params.session, entry);
                shared ||= Object.keys(readTable(joined.metadata.annotations, name)?.sessions ?? {}).length > 1;
                return joined;
              },
            );
          }
          if (params.filter) {
            await refreshPeers(r);
            const refresh = (): void => void refreshPeers(r).catch((e: Error) => log(`peer table: ${e.message}`));
            r.poll = setInterval(refresh, PEER_POLL_MS);
            // The other agents read the table once a poll period: only then do they send this session's requests
            // here, so the session is not reported started before.
            if (shared) await Bun.sleep(PEER_POLL_MS + 250);
          }
          // The endpoints follow the selector, then kube-proxy: a request sent at once may still reach the pods.
          await Bun.sleep(PROXY_SYNC_MS);
        }
        log(
          `incoming: ${params.mode} on ${params.services.join(", ")} (ports ${params.ports.map((p) => p.listen).join(", ")})`,
        );
        return { listening: params.ports.map((p) => p.listen) };
      } catch (e) {
        await restore(r);
        await close(r);
        running = undefined;
        throw e;
      }
    },
    async incomingStop() {
      const r = running;
      if (!r) return { restored: [] };
      const restored = await leave(r, false);
      running = undefined;
      return { restored };
    },
    incomingStats() {
      return { ports: running?.stats ?? [] };
    },
  };

  function portContext(r: Running, index: number): PortContext {
    const port = r.params.ports[index]!;
    const own = r.params.filter;
    return {
      port,
      stats: r.stats[index]!,
      async openHost(): Promise<Duplex> {
        if (!mux || r.hostGone) throw new Error("no tunnel");
        return mux.open({ host: port.service, port: port.port }, INCOMING_KIND);
      },
      route(head, fromPeer): Route {
        const header = (name: string): readonly string[] => head.headers.get(name) ?? [];
        if (own && filterMatches(own, head.path, header)) return { to: r.hostGone ? "origin" : "host" };
        if (!fromPeer)
          for (const [id, peer] of Object.entries(r.peers))
            if (id !== r.params.session && peer.filter && filterMatches(peer.filter, head.path, header))
              return { to: "peer", ip: peer.ip };
        return { to: "origin" };
      },
      isPeer: (address) => Object.values(r.peers).some((p) => address === p.ip || address === `::ffff:${p.ip}`),
      hostGone: () => r.hostGone,
      restoredPod: () => r.restoredPods?.next() ?? Promise.resolve(undefined),
      closing: () => r.closing,
      idle: r.idle,
      log,
    };
  }

  /** Other sessions sharing the Service, from its annotation (polled: a new one is seen within a second). */
  async function refreshPeers(r: Running): Promise<void> {
    const sessions: InterceptTable["sessions"] = {};
    for (const name of r.params.services) {
      const svc = await r.kube.get<ServiceObject>(servicePath(r.params.namespace, name));
      Object.assign(sessions, readTable(svc.metadata.annotations, name)?.sessions ?? {});
    }
    r.peers = sessions;
  }

  return {
    handlers,
    attach(m) {
      mux = m;
    },
    async shutdown() {
      const r = running;
      if (!r) return;
      await leave(r, true);
      running = undefined;
    },
  };
}

interface WorkloadObject {
  metadata: { resourceVersion?: string; annotations?: Record<string, string> };
  spec: { replicas?: number };
  status?: { replicas?: number; readyReplicas?: number };
}

const workloadPath = (p: IncomingStartParams): string => {
  const w = p.workload!;
  return `/apis/${w.group}/v1/namespaces/${p.namespace}/${w.resource}/${w.name}`;
};

/** Records the replica count on the workload, then scales it to 0 (a rerun of a session keeps the first record). */
async function replaceWorkload(kube: InClusterKube, p: IncomingStartParams): Promise<void> {
  const path = workloadPath(p);
  await updateObject<WorkloadObject>(kube, path, (w) => {
    const by = w.metadata.annotations?.[REPLACED_BY_ANNOTATION];
    if (by !== undefined && by !== p.session)
      throw new KfwdError("KFWD_INCOMING_TAKEN", `${p.workload!.name} is already replaced by session ${by}`);
    const replicas = w.metadata.annotations?.[REPLICAS_ANNOTATION] ?? String(w.spec.replicas ?? 1);
    return {
      ...w,
      metadata: {
        ...w.metadata,
        annotations: {
          ...w.metadata.annotations,
          [REPLICAS_ANNOTATION]: replicas,
          [REPLACED_BY_ANNOTATION]: p.session,
        },
      },
      spec: { ...w.spec, replicas: 0 },
    };
  });
}

/** How long replace waits for the workload's pods to be gone before it says it has started. */
const PODS_GONE_MS = 15_000;
/** What kube-proxy takes to drop a deleted pod's endpoint (its sync period is about a second). */
const PROXY_SYNC_MS = 1000;

/**
 * Waits (bounded) until the workload reports no pods, then for kube-proxy: a connection kube-proxy still sends to
 * a pod that is gone is never answered (the caller waits for its SYN to time out), so replace is not "started"
 * before. Pods still terminating answer meanwhile; the agent already is an endpoint.
 */
async function podsGone(kube: InClusterKube, p: IncomingStartParams): Promise<void> {
  for (let waited = 0; waited < PODS_GONE_MS; waited += 250) {
    const w = await kube.get<WorkloadObject>(workloadPath(p));
    if ((w.status?.replicas ?? 0) === 0) break;
    await Bun.sleep(250);
  }
  await Bun.sleep(PROXY_SYNC_MS);
}

/** Waits (bounded: the agent must exit in time) until the restored workload has a Ready pod. */
async function podsReady(kube: InClusterKube, p: IncomingStartParams): Promise<void> {
  for (let waited = 0; waited < PODS_GONE_MS; waited += 250) {
    const w = await kube.get<WorkloadObject>(workloadPath(p)).catch(() => undefined);
    if (!w || (w.status?.readyReplicas ?? 0) > 0 || (w.spec.replicas ?? 1) === 0) return;
    await Bun.sleep(250);
  }
}

/** Puts the recorded replica count back and drops the record; false when there was none (already restored). */
async function restoreWorkload(kube: InClusterKube, p: IncomingStartParams): Promise<boolean> {
  return updateObject<WorkloadObject>(kube, workloadPath(p), (w) => {
    const a = w.metadata.annotations ?? {};
    if (a[REPLACED_BY_ANNOTATION] !== p.session || a[REPLICAS_ANNOTATION] === undefined) return undefined;
    const { [REPLICAS_ANNOTATION]: replicas, [REPLACED_BY_ANNOTATION]: _by, ...rest } = a;
    return { ...w, metadata: { ...w.metadata, annotations: rest }, spec: { ...w.spec, replicas: Number(replicas) } };
  });
}
