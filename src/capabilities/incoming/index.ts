/**
 * Incoming traffic: the cluster's connections to a Service reach the host app (steal), a copy of them does
 * (mirror), only HTTP requests that match a filter do (steal/mirror with header/path; sessions share the
 * Service), or the workload is scaled to 0 and the host takes all of it (replace). Only Kubernetes objects
 * change — no iptables, no privileged pod, no restart of the target's pods: see README.md here.
 */
import { connect } from "node:net";
import {
  type IncomingOpen,
  INCOMING_KIND,
  type InterceptPortStats,
  interceptLabelKey,
  joinService,
  ResetReason,
  readyPortFor,
} from "../../../wire/index";
import { KfwdError } from "../../errors";
import { apiPath } from "../../kube/index";
import { sessionLabels } from "../../kube/labels";
import type { AgentPodNeeds, OwnedObject, PodNeedsContext } from "../../launch/kube/pod-needs";
import type { Profile } from "../../profile/index";
import { splice } from "../../proxy/splice";
import type { Tunnel } from "../../session/tunnel";
import type { Capability, CapabilityContext, CapabilityReport } from "../capability";
import { leaseName, leaseObject, leasesPath, reapExpired, RENEW_MS, renewLease } from "./lease";
import { hpasOf, type IncomingPlan, neededPermissions, planIncoming } from "./plan";
import { reapReplaced } from "./reap-replaced";
import { type IncomingSettings, incomingSettings } from "./settings";

export function incomingFor(profile: Profile): Capability | undefined {
  const settings = incomingSettings(profile);
  if (!settings) return undefined;
  return incoming(settings, profile.target.kind === "service" ? profile.target.name : undefined);
}

export function incoming(settings: IncomingSettings, serviceName: string | undefined): Capability {
  let plan: IncomingPlan | undefined;
  let cluster: { context: PodNeedsContext; origins: Map<string, string> } | undefined;
  let ctx: CapabilityContext | undefined;
  let renewTimer: ReturnType<typeof setInterval> | undefined;
  let statsTimer: ReturnType<typeof setInterval> | undefined;
  let agentStats: InterceptPortStats[] = [];
  let started = false;
  const hostConnections = new Map<number, number>();
  const warned = new Set<number>();

  const agentPod = async (context: PodNeedsContext): Promise<AgentPodNeeds> => {
    const { client, namespace } = context;
    if (!plan) {
      plan = await planIncoming(client, namespace, context.target, settings, serviceName);
      const denied: string[] = [];
      for (const p of neededPermissions(plan, settings)) {
        const ok = await client.selfSubjectAccessReview({
          verb: p.verb,
          group: p.group,
          resource: p.resource,
          namespace,
        });
        if (!ok) denied.push(`${p.verb} ${p.resource}${p.group ? ` (${p.group})` : ""}`);
      }
      if (denied.length > 0)
        throw new KfwdError(
          "KFWD_INCOMING_FORBIDDEN",
          `[incoming] needs permissions you lack in namespace "${namespace}": ${denied.join(", ")}. Nothing was changed`,
          "Ask an admin to grant the Role kfwd-incoming of deploy/kfwd-role.yaml; `kfwd doctor <profile>` prints what is missing.",
        );
      if ((await reapExpired(client, namespace, plan.services, context.warn)) > 0)
        plan = await planIncoming(client, namespace, context.target, settings, serviceName);
      if (settings.mode === "replace") {
        const held = plan.services.find((s) => s.table && Object.keys(s.table.sessions).length > 0);
        if (held)
          throw new KfwdError(
            "KFWD_INCOMING_TAKEN",
            `Service "${held.name}" is intercepted by session ${Object.keys(held.table?.sessions ?? {}).join(", ")}: replacing its workload would leave that session without pods`,
            "Wait for that session to end (kfwd status lists yours), or use steal.",
          );
      } else {
        // Refused now, not after the agent started: a live session holds the Service alone.
        const fresh = await planIncoming(client, namespace, context.target, settings, serviceName);
        for (const s of fresh.services) {
          const table = s.table;
          if (!table) continue;
          joinService(
            { metadata: { name: s.name, annotations: { "kfwd.dev/intercept": JSON.stringify(table) } }, spec: {} },
            context.sessionId,
            { mode: settings.mode, ip: "", pod: "", lease: "", owner: "", since: "", filter: settings.filter },
          );
        }
      }
      if (plan.workload) {
        const hpas = await hpasOf(client, namespace, plan.workload);
        if (hpas && hpas.length > 0)
          ctx?.ui.warn(
            `HorizontalPodAutoscaler ${hpas.join(", ")} scales ${plan.workload.resource}/${plan.workload.name}: it pauses while replicas are 0 ("ScalingDisabled") and resumes when kfwd restores them.`,
          );
      }
    }
    const p = plan;
    const origins = new Map<string, string>();
    cluster = { context, origins };
    const labels: Record<string, string> = p.workload
      ? { ...p.workload.podLabels }
      : Object.fromEntries(p.services.map((s) => [interceptLabelKey(s.name), "true"]));
    const byListen = new Map(p.ports.map((port) => [port.listen, port]));
    const name = context.jobName;
    const meta = sessionLabels(context.sessionId, context.owner.name);
    // Every mode but replace gets an origin: mirror and filters send the pods' share there, and an agent whose
    // host is gone (kill -9) sends what still reaches it there while kube-proxy catches up.
    const needOrigin = settings.mode !== "replace";
    const rules: Record<string, unknown>[] = [];
    // A leaving agent serves until it is no endpoint any more; once kfwd is gone, what still reaches a replace
    // agent waits for the restored workload's first Ready pod. Both are read from the EndpointSlices.
    rules.push({ apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list"] });
    if (p.workload)
      rules.push({
        apiGroups: ["apps"],
        resources: [p.workload.resource],
        resourceNames: [p.workload.name],
        verbs: ["get", "update"],
      });
    else
      rules.push({
        apiGroups: [""],
        resources: ["services"],
        resourceNames: p.services.map((s) => s.name),
        verbs: ["get", "update"],
      });
    const rbac = "rbac.authorization.k8s.io";
    return {
      labels,
      ports: [...byListen.values()].map((port) => ({
        ...(port.portName ? { name: port.portName } : {}),
        containerPort: port.listen,
      })),
      lowPorts: p.ports.some((port) => port.listen < 1024),
      // Ready only while the agent takes traffic: a Service never sends traffic to an agent that has not started
      // or is leaving (its pod keeps the label until the Job is gone). A port of its own, so that the agent can
      // turn unready first and serve on while kube-proxy moves new connections away.
      readinessPort: readyPortFor(p.ports.map((port) => port.listen)),
      serviceAccount: name,
      owned: () => {
        const objects: OwnedObject[] = [
          {
            path: apiPath({ resource: "serviceaccounts", namespace }),
            body: { apiVersion: "v1", kind: "ServiceAccount", metadata: { name, labels: meta } },
          },
          {
            path: apiPath({ group: rbac, resource: "roles", namespace }),
            body: { apiVersion: `${rbac}/v1`, kind: "Role", metadata: { name, labels: meta }, rules },
          },
          {
            path: apiPath({ group: rbac, resource: "rolebindings", namespace }),
            body: {
              apiVersion: `${rbac}/v1`,
              kind: "RoleBinding",
              metadata: { name, labels: meta },
              roleRef: { apiGroup: rbac, kind: "Role", name },
              subjects: [{ kind: "ServiceAccount", name, namespace }],
            },
          },
          {
            path: leasesPath(namespace),
            body: leaseObject(context.sessionId, context.owner.name, meta),
            mayExist: true,
          },
        ];
        if (needOrigin)
          p.services.forEach((s, i) => {
            const ports = p.ports.filter((port) => port.service === s.name);
            objects.push({
              path: apiPath({ resource: "services", namespace }),
              body: {
                apiVersion: "v1",
                kind: "Service",
                metadata: { name: `${name}-o${i}`, labels: meta },
                spec: {
                  selector: s.selector,
                  ports: ports.map((port) => ({
                    ...(port.spec.name ? { name: port.spec.name } : {}),
                    port: port.port,
                    targetPort: port.listen,
                    protocol: "TCP",
                  })),
                },
              },
              created: (o) => {
                const ip = (o.spec as { clusterIP?: string } | undefined)?.clusterIP;
                if (ip) origins.set(s.name, ip);
              },
            });
          });
        return objects;
      },
    };
  };

  const startOnAgent = async (tunnel: Tunnel): Promise<void> => {
    if (!plan || !cluster) throw new Error("incoming: the agent pod was not prepared");
    const { context, origins } = cluster;
    // Renewed from here on, not only once the session has started: the agent records what it takes during
    // incomingStart, and a Lease that looked expired then (a slow pod start) would let another kfwd undo it.
    const { client, namespace, sessionId } = context;
    const renew = (): Promise<void> =>
      renewLease(client, namespace, sessionId).then(
        () => {},
        (e: Error) => ctx?.log(`lease: ${e.message}`),
      );
    await renew();
    renewTimer ??= setInterval(renew, RENEW_MS);
    await tunnel.call("incomingStart", {
      namespace: context.namespace,
      session: context.sessionId,
      mode: settings.mode,
      filter: settings.filter,
      ports: plan.ports.map((p) => {
        const origin = origins.get(p.service);
        return {
          service: p.service,
          port: p.port,
          listen: p.listen,
          ...(origin ? { origin: { host: origin, port: p.port } } : {}),
        };
      }),
      services: plan.services.map((s) => s.name),
      readyPort: readyPortFor(plan.ports.map((p) => p.listen)),
      lease: leaseName(context.sessionId),
      owner: context.owner.name,
      workload: plan.workload
        ? { group: plan.workload.group, resource: plan.workload.resource, name: plan.workload.name }
        : undefined,
    });
    started = true;
  };

  const onStream = (open: IncomingOpen): void => {
    const port = plan?.ports.find((p) => p.service === open.target.host && p.port === open.target.port);
    if (!port) return open.reject(ResetReason.REFUSED, "no such incoming port");
    hostConnections.set(port.port, (hostConnections.get(port.port) ?? 0) + 1);
    const socket = connect({ host: "127.0.0.1", port: port.host, allowHalfOpen: true });
    socket.once("connect", () => {
      socket.setNoDelay(true);
      warned.delete(port.host);
      void splice(open.accept(), socket, { log: ctx?.log ?? (() => {}), label: `incoming ${port.port}` });
    });
    socket.once("error", (e: Error) => {
      if (socket.connecting || !socket.remoteAddress) {
        open.reject(ResetReason.REFUSED, e.message);
        if (!warned.has(port.host)) {
          warned.add(port.host);
          ctx?.ui.warn(
            `Nothing listens on 127.0.0.1:${port.host} for Service ${port.service} port ${port.port}: cluster callers get ${settings.filter ? "502" : "a reset"} until it does.`,
          );
        }
      }
    });
  };

  const report = (): CapabilityReport => {
    const rules = (plan?.ports ?? []).map((p) => {
      const s = agentStats.find((a) => a.service === p.service && a.port === p.port);
      return {
        rule: `${settings.mode} ${p.service}:${p.port} → 127.0.0.1:${p.host}${filterText(settings)}`,
        connections: s?.connections ?? 0,
        requests: s?.requests ?? 0,
        toHost: s?.toHost ?? hostConnections.get(p.port) ?? 0,
        toOrigin: s?.toOrigin ?? 0,
        toPeers: s?.toPeers ?? 0,
        refused: s?.refused ?? 0,
        mirroredBytes: s?.mirroredBytes ?? 0,
        droppedBytes: s?.droppedBytes ?? 0,
      };
    });
    const lines = rules.map(
      (r) =>
        `incoming  ${r.rule}: ${r.connections} conns, ${r.requests} requests (host ${r.toHost}, cluster ${r.toOrigin}, other sessions ${r.toPeers}, refused ${r.refused})` +
        (settings.mode === "mirror" ? `, mirrored ${r.mirroredBytes} B, dropped ${r.droppedBytes} B` : ""),
    );
    return { lines, data: { mode: settings.mode, rules } };
  };

  return {
    name: "incoming",
    streamKinds: [INCOMING_KIND],
    agentPod,
    beforeTarget: async (context) => void (await reapReplaced(context)),
    async start(context) {
      ctx = context;
      if (!cluster)
        throw new KfwdError(
          "KFWD_INCOMING_NO_CLUSTER",
          `${settings.profilePath}: [incoming] needs a cluster target`,
          "Remove local = true from [target], or remove [incoming].",
        );
      statsTimer = setInterval(() => {
        context.tunnel
          .call("incomingStats", {})
          .then((r) => (agentStats = r.ports))
          .catch(() => {});
      }, 2000);
      for (const s of plan?.services ?? [])
        context.ui.step(
          `Incoming: ${settings.mode} Service ${s.name}${filterText(settings)} (restored at exit, or by the agent pod within seconds if kfwd dies)`,
        );
    },
    async afterConnect(tunnel) {
      await startOnAgent(tunnel);
    },
    onStream,
    describe: () => {
      const rules = (plan?.ports ?? []).map(
        (p) => `${settings.mode} ${p.service}:${p.port} → 127.0.0.1:${p.host}${filterText(settings)}`,
      );
      return { lines: rules.map((r) => `incoming  ${r}`), data: { mode: settings.mode, rules } };
    },
    stats: report,
    async stop() {
      if (renewTimer) clearInterval(renewTimer);
      if (statsTimer) clearInterval(statsTimer);
      renewTimer = statsTimer = undefined;
      if (started && ctx) {
        started = false;
        const result = await Promise.race([
          ctx.tunnel.call("incomingStop", {}),
          Bun.sleep(20_000).then(() => undefined),
        ]).catch((e: unknown) => {
          ctx?.ui.warn(`The agent could not restore at once (${String(e)}); it does when it exits.`);
          return undefined;
        });
        if (result && result.restored.length > 0) ctx.ui.step(`Restored ${result.restored.join(", ")}`);
      }
    },
  };
}

function filterText(s: IncomingSettings): string {
  const f = s.filter;
  if (!f) return "";
  const parts: string[] = [];
  if (f.header) parts.push(`${f.header.name}: ${f.header.regex ? `/${f.header.value}/` : f.header.value}`);
  if (f.path) parts.push(`path ${f.path}*`);
  return ` [${parts.join(", ")}]`;
}
