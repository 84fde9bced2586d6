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

/** After giving the Service back, keep serving this long: kube-proxy moves new connections over meanwhile. */
const DRAIN_MS = 2500;

interface Running {
  params: IncomingStartParams;
  kube: InClusterKube;
  servers: Server[];
  sockets: Set<Socket>;
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
  /** The tunnel ended: give everything back at once (no drain: the host is gone). */
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

  const close = (r: Running): void => {
    for (const s of r.servers) s.close();
    for (const s of r.sockets) s.destroy();
  };

  const handlers: IncomingAgent["handlers"] = {
    async incomingStart(params) {
      if (running) throw new KfwdError("KFWD_INCOMING_STARTED", "This agent already takes incoming traffic");
      const kube = makeKube();
      const r: Running = {
        params,
        kube,
        servers: [],
        sockets: new Set(),
        stats: params.ports.map((p) => ({
          service: p.service,
          port: p.port,
          connections: 0,
          requests: 0,
          toHost: 0,
          toOrigin: 0,
          toPeers: 0,
          refused: 0,
          mirroredBytes: 0,
          droppedBytes: 0,
        })),
        peers: {},
        poll: undefined,
        restored: false,
        probed: false,
      };
      running = r;
      try {
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
        // Take traffic only once the pod is Ready (its readiness probe checks this listener), else a switched
        // Service would have no ready endpoint for a moment.
        for (let waited = 0; !r.probed && waited < 5000; waited += 50) await Bun.sleep(50);
        await Bun.sleep(1000);
        if (params.mode === "replace" && params.workload) await replaceWorkload(kube, params);
        else {
          const entry = {
            mode: params.mode,
            ip: process.env.KFWD_POD_IP ?? "",
            pod: hostname(),
            lease: params.lease,
            owner: params.owner,
            since: new Date().toISOString(),
            ...(params.filter ? { filter: params.filter } : {}),
          };
          for (const name of params.services) {
            await updateObject<ServiceObject & { metadata: { resourceVersion?: string } }>(
              kube,
              servicePath(params.namespace, name),
              (svc) => joinService(svc, params.session, entry),
            );
          }
        }
        if (params.filter) {
          const refresh = (): void => void refreshPeers(r).catch((e: Error) => log(`peer table: ${e.message}`));
          refresh();
          r.poll = setInterval(refresh, 1000);
        }
        log(
          `incoming: ${params.mode} on ${params.services.join(", ")} (ports ${params.ports.map((p) => p.listen).join(", ")})`,
        );
        return { listening: params.ports.map((p) => p.listen) };
      } catch (e) {
        await restore(r);
        close(r);
        running = undefined;
        throw e;
      }
    },
    async incomingStop() {
      const r = running;
      if (!r) return { restored: [] };
      const restored = await restore(r);
      await Bun.sleep(DRAIN_MS);
      close(r);
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
        if (!mux) throw new Error("no tunnel");
        return mux.open({ host: port.service, port: port.port }, INCOMING_KIND);
      },
      route(head, fromPeer): Route {
        const header = (name: string): readonly string[] => head.headers.get(name) ?? [];
        if (own && filterMatches(own, head.path, header)) return { to: "host" };
        if (!fromPeer)
          for (const [id, peer] of Object.entries(r.peers))
            if (id !== r.params.session && peer.filter && filterMatches(peer.filter, head.path, header))
              return { to: "peer", ip: peer.ip };
        return { to: "origin" };
      },
      isPeer: (address) => Object.values(r.peers).some((p) => address === p.ip || address === `::ffff:${p.ip}`),
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
      await restore(r);
      close(r);
      running = undefined;
    },
  };
}

interface WorkloadObject {
  metadata: { resourceVersion?: string; annotations?: Record<string, string> };
  spec: { replicas?: number };
  status?: { readyReplicas?: number };
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

/** Puts the recorded replica count back and drops the record; false when there was none (already restored). */
async function restoreWorkload(kube: InClusterKube, p: IncomingStartParams): Promise<boolean> {
  return updateObject<WorkloadObject>(kube, workloadPath(p), (w) => {
    const a = w.metadata.annotations ?? {};
    if (a[REPLACED_BY_ANNOTATION] !== p.session || a[REPLICAS_ANNOTATION] === undefined) return undefined;
    const { [REPLICAS_ANNOTATION]: replicas, [REPLACED_BY_ANNOTATION]: _by, ...rest } = a;
    return { ...w, metadata: { ...w.metadata, annotations: rest }, spec: { ...w.spec, replicas: Number(replicas) } };
  });
}
