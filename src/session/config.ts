import type { Capability } from "../capabilities/capability";
import { type CapabilityFlags, capabilitiesFor } from "../capabilities/index";
import type { Profile } from "../profile/index";
import { kubeLauncher } from "../launch/kube";
import { localLauncher } from "../launch/local";
import type { AgentLauncher } from "../launch/types";
import { debug, type Ui } from "../ui/log";
import type { SessionConfig } from "./session";

/** The profile, turned into what a session runs: the agent's launcher, the capabilities, the env selection. */
export function sessionConfigFrom(profile: Profile, ui: Ui, flags: CapabilityFlags = {}): SessionConfig {
  const capabilities = capabilitiesFor(profile, flags);
  return {
    launcher: launcherFor(profile, ui, capabilities),
    capabilities,
    env: profile.env,
  };
}

function launcherFor(profile: Profile, ui: Ui, capabilities: readonly Capability[]): AgentLauncher {
  const target = profile.target;
  const onAgentLog = agentLogSink(ui);
  if (target.kind === "local")
    return localLauncher({ netns: target.netns, idleTimeoutMs: profile.agent.idle_timeout, onAgentLog });
  const podHooks = capabilities.flatMap((c) => (c.agentPod ? [c.agentPod] : []));
  const beforeTarget = capabilities.flatMap((c) => (c.beforeTarget ? [c.beforeTarget] : []));
  return kubeLauncher({ profile, warn: (m) => ui.warn(m), onAgentLog, podHooks, beforeTarget });
}

/**
 * Where the agent's stderr goes: its warnings (e.g. it could not read the target's process env) concern the
 * user; the rest is its log, shown with --verbose or KFWD_DEBUG=agent.
 */
function agentLogSink(ui: Ui): (line: string) => void {
  const agentLog = debug("agent");
  return (line) => {
    const warning = /^kfwd-agent: warning: (.*)$/.exec(line);
    if (warning) ui.warn(warning[1] ?? line);
    else if (ui.verbosity === "verbose") process.stderr.write(`${line}\n`);
    else agentLog(line);
  };
}
