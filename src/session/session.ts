import type { IncomingOpen } from "../../wire/index";
import { ResetReason } from "../../wire/index";
import type { Capability, CapabilityReport, CommandPlace } from "../capabilities/capability";
import { filesBinds } from "../capabilities/files/binds";
import { buildEnv, type EnvRewrite } from "../env/pipeline";
import type { EnvSelection } from "../env/select";
import type { AgentLauncher } from "../launch/types";
import type { Ui } from "../ui/log";
import { debug } from "../ui/log";
import { markLive } from "./live";
import { Tunnel } from "./tunnel";

/** What a session needs, already validated: the command layer derives it from the profile. */
export interface SessionConfig {
  launcher: AgentLauncher;
  /** In start order; stopped in reverse. */
  capabilities: readonly Capability[];
  env: EnvSelection;
}

export interface Session {
  readonly tunnel: Tunnel;
  readonly capabilities: readonly Capability[];
  /** The pod's selected variables, rewritten, plus kfwd's own: what a command started in the session gets. */
  readonly env: Record<string, string>;
  /** Each change a rewrite stage made to a pod or profile value (`kfwd env --explain`). */
  readonly rewrites: readonly EnvRewrite[];
  /** What each capability says about itself, by name (state file, `kfwd up`). */
  describe(): Record<string, CapabilityReport>;
  /** Live figures of each capability that has any, by name (`kfwd status`). */
  stats(): Record<string, CapabilityReport>;
  /** Every port the capabilities serve on the host's loopback, and every path they bind (transparent mode). */
  place(): CommandPlace;
  /** The command line `kfwd run` starts: the command, as capabilities wrap it (transparent mode). */
  commandLine(command: readonly string[]): string[];
  stop(): Promise<void>;
}

/**
 * Agent and tunnel, then each capability, then the env; stopped in reverse. If any step fails, what was
 * already started is stopped before the error is thrown, so nothing is left behind.
 */
export async function startSession(config: SessionConfig, ui: Ui): Promise<Session> {
  const { capabilities } = config;
  const byKind = streamRoutes(capabilities);
  const tunnel = new Tunnel(config.launcher, {
    progress: (s) => ui.step(s),
    warn: (m) => ui.warn(m),
    log: debug("tunnel"),
    streamKinds: [...byKind.keys()],
    onStream: (open: IncomingOpen) => {
      const owner = byKind.get(open.kind);
      if (owner?.onStream) owner.onStream(open);
      else open.reject(ResetReason.REFUSED, `no capability takes "${open.kind}" streams`);
    },
    afterConnect: async () => {
      for (const capability of capabilities) await capability.afterConnect?.(tunnel);
    },
  });
  // Stopped in reverse: the tunnel is closed before the launcher removes the agent, so that is no "loss".
  const cleanups: Array<() => Promise<void>> = [() => config.launcher.dispose(), () => tunnel.close()];
  const stop = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse())
      await cleanup().catch((e: unknown) => ui.warn(`cleanup: ${String(e)}`));
  };
  const clusterSessionId = config.launcher.clusterSessionId;
  if (clusterSessionId !== undefined) {
    const unmark = markLive(clusterSessionId);
    cleanups.unshift(async () => unmark());
  }
  try {
    const hello = await tunnel.start();
    ui.step(`Agent ready: ${tunnel.description} (protocol v${hello.version})`);
    for (const capability of capabilities) {
      cleanups.push(() => capability.stop());
      await capability.start({ tunnel, ui, log: debug(capability.name) });
    }
    const podEnv = await tunnel.call("env", {});
    const stages = capabilities.flatMap((c) => c.envStages ?? []);
    const { env, rewrites } = await buildEnv(podEnv.env, config.env, stages);
    return {
      tunnel,
      capabilities,
      env,
      rewrites,
      describe: () => Object.fromEntries(capabilities.map((c) => [c.name, c.describe()])),
      stats: () => Object.fromEntries(capabilities.flatMap((c) => (c.stats ? [[c.name, c.stats()] as const] : []))),
      place: () => place(capabilities),
      commandLine: (command) =>
        capabilities.reduce<string[]>((line, c) => c.wrapCommand?.(line, place(capabilities)) ?? line, [...command]),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Which capability takes each kind of agent-opened stream; two claiming one kind is a programming error. */
function streamRoutes(capabilities: readonly Capability[]): Map<string, Capability> {
  const routes = new Map<string, Capability>();
  for (const capability of capabilities) {
    for (const kind of capability.streamKinds ?? []) {
      const taken = routes.get(kind);
      if (taken) throw new Error(`stream kind "${kind}" is claimed by both ${taken.name} and ${capability.name}`);
      routes.set(kind, capability);
    }
  }
  return routes;
}

function place(capabilities: readonly Capability[]): CommandPlace {
  return { loopbackPorts: capabilities.flatMap((c) => c.loopbackPorts?.() ?? []), binds: filesBinds(capabilities) };
}
