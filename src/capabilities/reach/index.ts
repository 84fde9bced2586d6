/**
 * Reach: apps that ignore proxy variables reach the cluster unchanged. It composes mechanisms, each a file:
 *   rewrite.ts   — cluster addresses in the pod's env rewritten to loopback listeners through the tunnel
 *   node-hook.ts — a preload for Node and Bun (NODE_OPTIONS / BUN_OPTIONS) that routes net/tls and dns.lookup
 *   jvm.ts       — JAVA_TOOL_OPTIONS with the proxies' properties
 * (another mechanism is one more file and one more stage here). All of them share one pool of listeners, so a
 * destination has one port however it is reached.
 */
import type { Profile } from "../../profile/index";
import { RouteTable } from "../../proxy/routes";
import type { Tunnel } from "../../session/tunnel";
import type { Capability, CapabilityContext, CapabilityReport } from "../capability";
import { classifier, withTimeout } from "./classify";
import { type HookEndpoint, startHookEndpoint } from "./endpoint";
import { addJvmOptions } from "./jvm";
import { type ListenerPool, listenerPool } from "./listeners";
import { addNodeHook, type NodeHookFiles, writeNodeHook } from "./node-hook";
import { rewriteClusterAddresses, serviceLinkIps } from "./rewrite";

export interface ReachSettings {
  /** Names this session's files in the state directory (the profile id). */
  sessionId: string;
  rewrite: boolean;
  /** Globs: variable names (matched as written) and hosts (lowercase) left as they are. */
  keep: readonly string[];
  node: boolean;
  jvm: boolean;
  cluster: readonly string[];
  direct: readonly string[];
}

export function reachSettings(profile: Profile): ReachSettings {
  return { ...profile.reach, sessionId: profile.id, cluster: profile.proxy.cluster, direct: profile.proxy.direct };
}

export function reach(settings: ReachSettings): Capability | undefined {
  if (!settings.rewrite && !settings.node && !settings.jvm) return undefined;
  let context: CapabilityContext | undefined;
  let listeners: ListenerPool | undefined;
  let endpoint: HookEndpoint | undefined;
  let files: NodeHookFiles | undefined;
  const stop = async (): Promise<void> => {
    files?.remove();
    await endpoint?.stop();
    await listeners?.close();
    files = endpoint = listeners = undefined;
  };
  const resolvesInPod = (tunnel: Tunnel) => (name: string) =>
    withTimeout(tunnel.call("resolve", { name }).then((r) => r.addresses.length > 0));
  return {
    name: "reach",
    async start(ctx) {
      context = ctx;
      listeners = listenerPool(ctx.tunnel, (m) => ctx.ui.warn(m), ctx.log);
      try {
        if (settings.node) {
          const routes = new RouteTable({ cluster: [...settings.cluster], direct: [...settings.direct] });
          const token = crypto.randomUUID();
          endpoint = startHookEndpoint({ token, routes, tunnel: ctx.tunnel, listeners, log: ctx.log });
          files = writeNodeHook(settings.sessionId, endpoint.port, token);
        }
      } catch (error) {
        await stop();
        throw error;
      }
    },
    envStages: [
      {
        phase: "rewrite",
        async apply(draft) {
          if (!settings.rewrite || !context || !listeners) return;
          const tunnel = context.tunnel;
          const classify = classifier({
            keepHosts: settings.keep,
            cluster: settings.cluster,
            direct: settings.direct,
            serviceIps: serviceLinkIps(draft.rewritable()),
            resolvesInPod: resolvesInPod(tunnel),
          });
          await rewriteClusterAddresses(draft, { keepVariables: settings.keep, classify, listeners, log: context.log });
        },
      },
      {
        phase: "proxy",
        apply(draft) {
          if (files) addNodeHook(draft, files);
          if (settings.jvm) addJvmOptions(draft, settings.direct);
        },
      },
    ],
    describe(): CapabilityReport {
      const data = {
        listeners: listeners?.list() ?? [],
        ...(files ? { preload: files.preload } : {}),
        jvm: settings.jvm,
      };
      return { lines: reachLines(data), data };
    },
    stats(): CapabilityReport {
      return this.describe();
    },
    loopbackPorts: () => [
      ...(endpoint ? [endpoint.port] : []),
      ...(listeners?.list() ?? []).map((l) => Number(l.listen.slice(l.listen.lastIndexOf(":") + 1))),
    ],
    stop,
  };
}

/** The lines `kfwd up` and `kfwd status` print for reach. */
export function reachLines(data: {
  listeners: ReadonlyArray<{ listen: string; to: string; users: readonly string[] }>;
  preload?: string;
}): string[] {
  return [
    ...data.listeners.map((l) => `reach     ${l.listen} → ${l.to}${l.users.length ? ` (${l.users.join(", ")})` : ""}`),
    ...(data.preload ? [`preload   ${data.preload}`] : []),
  ];
}
