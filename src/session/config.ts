import { KfwdError } from "../errors";
import type { Profile } from "../profile/index";
import { localTarget } from "../target/local";
import type { TargetConnector } from "../target/types";
import { debug, type Ui } from "../ui/log";
import type { SessionConfig } from "./session";

/** The profile, turned into what a session runs: the target's connector plus proxy, forward and env settings. */
export function sessionConfigFrom(profile: Profile, ui: Ui): SessionConfig {
  return {
    connector: connectorFor(profile, ui),
    proxy: {
      socks: profile.proxy.socks,
      http: profile.proxy.http,
      cluster: profile.proxy.cluster,
      direct: profile.proxy.direct,
      auth: profile.proxy.auth,
    },
    forwards: profile.forward.map((f) => ({ name: f.name, listen: f.local, to: f.remote })),
    env: profile.env,
  };
}

function connectorFor(profile: Profile, ui: Ui): TargetConnector {
  const target = profile.target;
  const agentLog = debug("agent");
  if (target.kind === "local") {
    return localTarget({
      netns: target.netns,
      idleTimeoutMs: profile.agent.idle_timeout,
      onAgentLog: (line) => (ui.verbosity === "verbose" ? process.stderr.write(`${line}\n`) : agentLog(line)),
    });
  }
  throw new KfwdError(
    "KFWD_TARGET_UNSUPPORTED",
    `Cannot connect to target "${target.kind}" from ${profile.source.path}: cluster targets are not available in this build`,
    "Use [target] local = true to try kfwd without a cluster.",
  );
}
