/** The calls the agent answers. Each one here is advertised as capability "call:<name>" automatically. */
import { lookup } from "node:dns/promises";
import { KfwdError } from "../src/errors";
import type { CallHandlers } from "../src/wire/calls";

export const agentCalls: CallHandlers = {
  async resolve({ name, family }) {
    try {
      const found = await lookup(name, { all: true, family: family ?? 0, verbatim: true });
      return { addresses: found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 })) };
    } catch (error) {
      const code = String((error as { code?: unknown }).code ?? "");
      throw new KfwdError(
        code === "ENOTFOUND" || code === "ENODATA" || code.startsWith("EAI_") ? "KFWD_RESOLVE_NAME_NOT_FOUND" : "KFWD_RESOLVE_FAILED",
        `Cannot resolve "${name}" in the cluster: ${(error as Error).message}`,
        "Check the name and namespace (service.namespace); the agent uses the pod's resolver.",
      );
    }
  },
  env() {
    const env: Record<string, string> = {};
    // KFWD_AGENT_* configure this process and BUN_BE_BUN is how a local kfwd binary runs it as bun:
    // neither is part of the pod's environment.
    for (const [key, value] of Object.entries(process.env)) {
      if (value !== undefined && !key.startsWith("KFWD_AGENT_") && key !== "BUN_BE_BUN") env[key] = value;
    }
    return { env };
  },
};
