/**
 * Loopback listeners that each lead to one cluster destination, shared: every variable (and every Node
 * connection) naming the same host:port gets the same port. They are [[forward]]s made on demand.
 */
import type { Destination } from "../../proxy/dialer";
import type { Tunnel } from "../../session/tunnel";
import { dialFailureReporter } from "../outgoing/dial-failures";
import { type RunningForward, startForward } from "../outgoing/forwards";

export interface ListenerPool {
  /** The loopback port leading to `to`; `user` (a variable name) is named when its cluster end fails. */
  portFor(to: Destination, user?: string): Promise<number>;
  list(): Array<{ listen: string; to: string; users: string[] }>;
  close(): Promise<void>;
}

export function listenerPool(tunnel: Tunnel, warn: (message: string) => void, log: (m: string) => void): ListenerPool {
  const listeners = new Map<string, Promise<RunningForward>>();
  const users = new Map<string, Set<string>>();
  const ports = new Map<string, number>();
  const keyOf = (to: Destination): string => `${to.host.toLowerCase()}:${to.port}`;
  const report = dialFailureReporter(warn, (spec) => {
    const names = [...(users.get(keyOf(spec.to)) ?? [])];
    return names.length > 0 ? ` (for ${names.join(", ")})` : "";
  });
  return {
    async portFor(to, user) {
      const key = keyOf(to);
      if (user !== undefined) users.set(key, (users.get(key) ?? new Set()).add(user));
      let listener = listeners.get(key);
      if (!listener) {
        listener = startForward({ listen: { host: "127.0.0.1", port: 0 }, to }, tunnel, log, report);
        listeners.set(key, listener);
        listener.catch(() => listeners.delete(key));
      }
      const { port } = await listener;
      ports.set(key, port);
      return port;
    },
    list() {
      return [...ports].map(([to, port]) => ({ listen: `127.0.0.1:${port}`, to, users: [...(users.get(to) ?? [])] }));
    },
    async close() {
      const all = [...listeners.values()];
      listeners.clear();
      ports.clear();
      for (const l of all) await l.then((f) => f.close()).catch(() => {});
    },
  };
}
