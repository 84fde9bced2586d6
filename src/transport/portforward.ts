/**
 * The port-forward link: a second connection to an agent that already runs, through the `pods/portforward`
 * subresource to a port it opened on the pod's loopback (docs/wire-protocol.md §12). The agent is asked over the
 * first link to listen, with a fresh secret that only travels inside that link; kfwd presents the secret as the
 * first bytes of the new connection, then runs a Mux over it. Port-forward skips the container's stdio pipes and
 * the runtime shim the exec stream goes through, so streams prefer this link.
 */
import { randomBytes } from "node:crypto";
import type { KubeClient } from "../kube/client";
import { debugKube } from "../kube/debug";
import { portForwardTransport } from "../kube/portforward";
import { spdyPortForwardTransport } from "../kube/portforward-spdy";
import type { Transport } from "../../wire/transport";
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
  const { transport, protocol } = await openPortForward(o, port);
  transport.write(secret);
  return {
    transport,
    kind: "portforward",
    description: `port-forward (${protocol}) to ${o.where}`,
    tuning: { ...o.tuning, streamPriority: 1 },
    close: async () => transport.close(),
  };
}

/** `KFWD_PORTFORWARD_PROTOCOL=websocket|spdy` picks one (troubleshooting, benchmarks); by default SPDY first. */
type Protocol = "SPDY" | "WebSocket";

/**
 * SPDY first: the API server passes it through and the runtime copies its frames with less work than WebSocket
 * messages (kube/portforward-spdy.ts). Where it cannot be used (an HTTP proxy, a server or proxy that refuses the
 * upgrade), the WebSocket protocol, whose errors also say why a port-forward is refused.
 */
async function openPortForward(
  o: PortForwardLinkOptions,
  port: number,
): Promise<{ transport: Transport; protocol: Protocol }> {
  const target = { namespace: o.namespace, pod: o.pod, port, pingIntervalMs: 5000 };
  const wanted = process.env.KFWD_PORTFORWARD_PROTOCOL?.toLowerCase();
  if (wanted !== "websocket") {
    try {
      return { transport: await spdyPortForwardTransport(o.client, target), protocol: "SPDY" };
    } catch (e) {
      if (wanted === "spdy") throw e;
      debugKube(`portforward: SPDY not available (${e instanceof Error ? e.message : String(e)}), using WebSocket`);
    }
  }
  return { transport: await portForwardTransport(o.client, target), protocol: "WebSocket" };
}
