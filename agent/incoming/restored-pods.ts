/**
 * replace, once the host is gone (kfwd killed, laptop offline): the agent scales the workload back, and until its
 * pods are Ready the agent is the Services' only endpoint. A connection that reaches it then waits for a Ready pod
 * of the workload and goes there, instead of being reset: callers see a slow answer, not a failure.
 * The pods are read from the Services' EndpointSlices (addresses and readiness only; the session's Role allows
 * `list` on them), polled while anyone may wait.
 */
import { readyEndpoints } from "./endpoints";
import type { InClusterKube } from "./kube";

const POLL_MS = 250;

export interface RestoredPods {
  /** A Ready pod's address (never this agent's), waited for until `stop`; undefined once stopped without one. */
  next(): Promise<string | undefined>;
  /** Ends the polling; connections still waiting get undefined (the agent resets them). */
  stop(): void;
}

export function restoredPods(
  kube: InClusterKube,
  namespace: string,
  services: readonly string[],
  self: string,
  log: (message: string) => void,
): RestoredPods {
  let ready: string[] = [];
  let turn = 0;
  let stopped = false;
  let warned = false;
  const waiting: Array<(address: string | undefined) => void> = [];

  const read = async (): Promise<string[]> =>
    [...(await readyEndpoints(kube, namespace, services))].filter((address) => address !== self);
  const pick = (): string | undefined => (ready.length > 0 ? ready[turn++ % ready.length] : undefined);

  void (async () => {
    while (!stopped) {
      try {
        ready = await read();
      } catch (e) {
        if (!warned) log(`incoming: cannot read the workload's endpoints: ${(e as Error).message}`);
        warned = true;
      }
      while (ready.length > 0 && waiting.length > 0) waiting.shift()!(pick());
      await Bun.sleep(POLL_MS);
    }
  })();

  return {
    next: () => {
      if (stopped || ready.length > 0) return Promise.resolve(pick());
      return new Promise((resolve) => waiting.push(resolve));
    },
    stop() {
      stopped = true;
      for (const resolve of waiting.splice(0)) resolve(undefined);
    },
  };
}
