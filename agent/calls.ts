/** The calls the agent answers. Each one here is advertised as capability "call:<name>" automatically. */
import { lookup } from "node:dns/promises";
import { KfwdError } from "../wire/kfwd-error";
import type { CallHandlers } from "../wire/calls";
import { targetMounts } from "./files/mounts";
import { filesView } from "./files/root";
import { log } from "./log";
import { processEnv } from "./process-env";

export const agentCalls: Omit<CallHandlers, "incomingStart" | "incomingStop" | "incomingStats" | "linkListen"> = {
  async resolve({ name, family }) {
    try {
      const found = await lookup(name, { all: true, family: family ?? 0, verbatim: true });
      return { addresses: found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 })) };
    } catch (error) {
      const code = String((error as { code?: unknown }).code ?? "");
      throw new KfwdError(
        code === "ENOTFOUND" || code === "ENODATA" || code.startsWith("EAI_")
          ? "KFWD_RESOLVE_NAME_NOT_FOUND"
          : "KFWD_RESOLVE_FAILED",
        `Cannot resolve "${name}" in the cluster: ${(error as Error).message}`,
        "Check the name and namespace (service.namespace); the agent uses the pod's resolver.",
      );
    }
  },
  /**
   * "The pod's environment". An agent in the target's PID namespace is told so (KFWD_AGENT_ENV_FROM=process,
   * set on its container) and answers with the target process's env; otherwise, or if that cannot be read, with
   * its own, which kfwd has given the target container's env/envFrom (see src/launch/kube/env.ts).
   */
  env() {
    if (process.env.KFWD_AGENT_ENV_FROM === "process") {
      try {
        return { env: processEnv().env };
      } catch (error) {
        const e = error as KfwdError;
        log(
          `warning: ${e.message}. Using the env from the pod spec instead (without the image's ENV). ${e.hint ?? ""}`,
        );
      }
    }
    return { env: ownEnv() };
  },
  processEnv({ pid }) {
    return processEnv(pid);
  },
  filesMounts() {
    return { mounts: targetMounts(), view: filesView() };
  },
};

/** KFWD_AGENT_* configure this process, BUN_BE_BUN is how a local kfwd binary runs it as bun, and the agent
 * image's own ENV (named in KFWD_AGENT_ENV_DROP) describes the agent: none of them is the pod's. */
function ownEnv(): Record<string, string> {
  const drop = new Set((process.env.KFWD_AGENT_ENV_DROP ?? "").split(",").filter(Boolean));
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith("KFWD_AGENT_") && key !== "BUN_BE_BUN" && !drop.has(key))
      env[key] = value;
  }
  return env;
}
