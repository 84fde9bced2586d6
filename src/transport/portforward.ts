/**
 * The port-forward link: a second connection to an agent that already runs, through the `pods/portforward`
 * subresource to a port it opened on the pod's loopback (docs/wire-protocol.md §12). The agent is asked over the
 * first link to listen, with a fresh secret that only travels inside that link; kfwd presents the secret as the
 * first bytes of the new connection, then runs a Mux over it. Port-forward skips the container's stdio pipes and
 * the runtime shim the exec stream goes through, so streams prefer this link.
 */
import { randomBytes } from "node:crypto";
import type { KubeClient } from "../kube/client";
import { portForwardTransport } from "../kube/portforward";
import { LINK_SECRET_BYTES } from "../../wire/link";
import type { AgentCall, AgentConnection, TransportTuning } from "./types";

export interface PortForwardLinkOptions {
  client: KubeClient;
  namespace: string;
  pod: string;
  /** Where the agent runs, for status ("ephemeral container kfwd-agent-… in pod …"). */
  where: string;
  tuning: TransportTuning;
}

export async function portForwardLink(call: AgentCall, o: PortForwardLinkOptions): Promise<AgentConnection> {
  const secret = randomBytes(LINK_SECRET_BYTES);
  const { port } = await call("linkListen", { secret: secret.toString("hex") });
  const transport = await portForwardTransport(o.client, {
    namespace: o.namespace,
    pod: o.pod,
    port,
    pingIntervalMs: 5000,
  });
  transport.write(secret);
  return {
    transport,
    kind: "portforward",
    description: `port-forward to ${o.where}`,
    tuning: { ...o.tuning, streamPriority: 1 },
    close: async () => transport.close(),
  };
}
