/**
 * The cluster target's launcher: finds the target pod, starts the agent's container (a Job pod or an
 * ephemeral container in the target pod) and execs the agent into it over the exec WebSocket. A reconnect
 * execs into the same container while it runs, else starts a new one (re-resolving the target, which a
 * rollout may have replaced).
 */
import { randomBytes } from "node:crypto";
import { execTransport, KubeClient, type ExecTransport } from "../../kube/index";
import { currentUser } from "../../kube/current-user";
import { ownerLabel } from "../../kube/labels";
import type { Profile } from "../../profile/index";
import { agentArgv, agentPayload } from "../bootstrap";
import { execAgent } from "./agent-exec";
import type { AgentSpecOptions } from "./agent-spec";
import { envForAgentPod } from "./env";
import { mountsEnv } from "./mounts";
import { startEphemeralAgent } from "./ephemeral";
import type { AgentHome } from "./home";
import { choosePlacement, type Placement } from "./placement";
import { removeSessionJobs, startPodAgent } from "./job";
import { agentTransport } from "../../transport/exec";
import { portForwardLink } from "../../transport/portforward";
import { resolveTarget, type ClusterTarget } from "./resolve";
import { type AgentPodHook, type BeforeTargetHook, mergeNeeds } from "./pod-needs";
import { KfwdError } from "../../errors";
import type { AgentConnection, AgentLauncher } from "../types";

/**
 * Cluster agents exit this soon after kfwd goes silent (a hung or stopped kfwd; after kill -9 the agent's stdin
 * ends at once), and the Job is then removed by its TTL. The floor keeps it above two of the tunnel's 5 s pings.
 */
export const CLUSTER_IDLE_TIMEOUT_MAX_MS = 10_000;
const CLUSTER_IDLE_TIMEOUT_MIN_MS = 8_000;

/**
 * Receive window per stream over the exec stream, granted by both sides (the agent through KFWD_AGENT_WINDOW).
 * Credit comes back through the API server and kubelet, whose buffers add milliseconds of delay under load:
 * the default 256 KiB held one download to ~50–70 MB/s on the lab, 2–4 MiB let it reach what the exec stream
 * itself carries (~100 MB/s). Uploads met the same limit at the agent's 256 KiB: 3.6 MB/s at 50 ms RTT. Over
 * the port-forward link at 50 ms a stream needs ~10 MiB in flight: starting at 4 MiB, the first transfer on a
 * link spent most of 64 MiB growing its window (window-sizing.ts), so streams start at 16 MiB (the receive
 * budgets still bound every grant; a stream whose reader is slow only holds what it buffered).
 */
export const CLUSTER_STREAM_WINDOW = 16 * 1024 * 1024;

export interface KubeTargetOptions {
  profile: Profile;
  warn: (message: string) => void;
  onAgentLog: (line: string) => void;
  /** Capabilities that need things of the agent's pod (incoming traffic): they get a pod of their own. */
  podHooks?: readonly AgentPodHook[];
  /** Run before the session's first target resolution. */
  beforeTarget?: readonly BeforeTargetHook[];
}

export function kubeLauncher(o: KubeTargetOptions): AgentLauncher {
  const { profile } = o;
  const target = profile.target;
  if (target.kind === "local") throw new Error("kubeLauncher: a local target");
  const sessionId = randomBytes(5).toString("hex");
  let client: KubeClient | undefined;
  let placement: Placement | undefined;
  let home: AgentHome | undefined;
  let started = 0;
  const homes: AgentHome[] = [];
  /** Whether the Role grants pods/portforward (asked once per session; [agent] transport = "exec" skips it). */
  let portForwardAllowed: Promise<boolean> | undefined;
  const mayPortForward = (c: KubeClient): Promise<boolean> => {
    if (profile.agent.transport === "exec") return Promise.resolve(false);
    portForwardAllowed ??= canPortForward(c).catch(() => false);
    return portForwardAllowed;
  };

  const startHome = async (c: KubeClient, progress: (s: string) => void): Promise<AgentHome> => {
    const namespace = c.namespace;
    if (started === 0)
      for (const hook of o.beforeTarget ?? []) await hook({ client: c, namespace, warn: o.warn, progress });
    const resolved = target.kind === "none" ? undefined : await resolveTarget(c, namespace, target as ClusterTarget);
    if (resolved) progress(`Target: ${resolved.description} in namespace ${namespace}`);
    const hooks = o.podHooks ?? [];
    if (!placement && hooks.length > 0) {
      if (profile.agent.placement === "ephemeral")
        throw new KfwdError(
          "KFWD_PLACEMENT_CONFLICT",
          `${profile.source.path}: [incoming] needs an agent pod of its own (a Service selects it), but [agent] placement is "ephemeral"`,
          'Set placement = "pod" (or "auto") in [agent], or remove [incoming].',
        );
      placement = "pod";
      progress("Agent placement: pod ([incoming]: the Service is pointed at an agent pod)");
    }
    if (!placement) {
      const choice = await choosePlacement(c, namespace, profile.agent.placement, resolved?.pod.metadata.name);
      placement = choice.placement;
      progress(`Agent placement: ${placement} (${choice.why})`);
    }
    const user = await currentUser(c);
    const spec: AgentSpecOptions = {
      sessionId,
      owner: { name: user.name, label: ownerLabel(user.name) },
      profilePath: profile.source.path,
      image: profile.agent.image,
      bun: profile.agent.bun,
      idleTimeoutMs: Math.max(
        CLUSTER_IDLE_TIMEOUT_MIN_MS,
        Math.min(profile.agent.idle_timeout, CLUSTER_IDLE_TIMEOUT_MAX_MS),
      ),
      cpu: profile.agent.cpu,
      memory: profile.agent.memory,
      firstWaitMs: 60_000,
      streamWindow: CLUSTER_STREAM_WINDOW,
    };
    started++;
    const name = `kfwd-agent-${sessionId}${started > 1 ? `-${started}` : ""}`;
    const context = { client: c, namespace, target: resolved, sessionId, jobName: name, first: started === 1 };
    const needs = mergeNeeds(
      await Promise.all(hooks.map((hook) => hook({ ...context, owner: spec.owner, warn: o.warn }))),
    );
    const common = { client: c, namespace, name, spec, timeoutMs: profile.agent.start_timeout, progress };
    if (placement === "ephemeral" && resolved)
      return startEphemeralAgent({ ...common, target: resolved, warn: o.warn });
    let targetEnv: Parameters<typeof startPodAgent>[0]["target"];
    if (resolved) {
      const container = resolved.pod.spec.containers.find((x) => x.name === resolved.container);
      if (container) {
        const env = envForAgentPod(resolved.pod, container, o.warn);
        // The target's mounts, so the files capability can say which of them this agent cannot read.
        env.env = [...(env.env ?? []), mountsEnv(resolved.pod, container)];
        targetEnv = { pod: resolved.pod, env };
        if (started === 1)
          o.warn(
            'With placement "pod" the env comes from the target\'s pod spec: variables set by its image (ENV) are not visible.',
          );
      }
    }
    return startPodAgent({ ...common, target: targetEnv, needs });
  };

  return {
    clusterSessionId: sessionId,
    label: target.kind === "none" ? "targetless agent pod" : describeTarget(target as ClusterTarget),
    async connect(progress) {
      client ??= await KubeClient.fromKubeconfig({
        kubeconfig: profile.cluster.kubeconfig,
        context: profile.cluster.context,
        namespace: profile.cluster.namespace,
      });
      const c = client;
      // Asked now, while the agent starts, so the port-forward link does not wait for the answer afterwards.
      void mayPortForward(c);
      if (home && (await home.alive().catch(() => false))) {
        progress(`Reusing ${home.description}`);
      } else {
        home = await startHome(c, progress);
        homes.push(home);
      }
      const h = home;
      progress(`Starting the agent in ${h.description}`);
      const open = async (): Promise<ExecTransport> => {
        const t = await execTransport(c, {
          pod: h.pod,
          container: h.container,
          command: agentArgv(profile.agent.bun),
          stdin: true,
          onStderr: o.onAgentLog,
          pingIntervalMs: 5000,
        });
        t.write(agentPayload());
        return t;
      };
      const transport = await execAgent(h, open).catch((e: unknown) => {
        if (home === h) home = undefined; // the container may be gone: next time, start another
        throw e;
      });
      const wrapped = agentTransport(transport, h.description);
      const tuning = { streamWindow: CLUSTER_STREAM_WINDOW };
      const connection: AgentConnection = {
        transport: wrapped,
        kind: "exec",
        description: h.description,
        close: async () => wrapped.close(),
        tuning,
        extraLink: async (call) => {
          if (!(await mayPortForward(c))) return undefined;
          return portForwardLink(call, { client: c, namespace: c.namespace, pod: h.pod, where: h.description, tuning });
        },
      };
      return connection;
    },
    async dispose() {
      const c = client;
      if (!c) return;
      try {
        if (started > 0 && placement === "pod") await removeSessionJobs(c, c.namespace, sessionId);
        for (const h of homes) await h.remove();
      } finally {
        c.close();
      }
    },
  };
}

/** The port-forward link needs get and create on pods/portforward (a WebSocket upgrade is authorized as both). */
async function canPortForward(c: KubeClient): Promise<boolean> {
  const verbs = await Promise.all(
    ["get", "create"].map((verb) =>
      c.selfSubjectAccessReview({ verb, resource: "pods", subresource: "portforward", namespace: c.namespace }),
    ),
  );
  return verbs.every(Boolean);
}

function describeTarget(t: ClusterTarget): string {
  const what = t.kind === "workload" ? `${t.workload}/${t.name}` : `${t.kind}/${t.name}`;
  return t.container ? `${what}, container ${t.container}` : what;
}
