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
import { connectSpdyPortForward, type SpdyPortForwardConnection } from "../kube/portforward-spdy";
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
  // KFWD_PORTFORWARD_PROTOCOL=websocket|spdy picks one (troubleshooting, benchmarks); by default SPDY first.
  const wanted = process.env.KFWD_PORTFORWARD_PROTOCOL?.toLowerCase();
  // The SPDY upgrade needs no port: it runs while the agent is asked to listen (a round trip over exec).
  const spdy =
    wanted === "websocket"
      ? undefined
      : connectSpdyPortForward(o.client, { namespace: o.namespace, pod: o.pod }).catch((e: unknown) =>
          e instanceof Error ? e : new Error(String(e)),
        );
  let port: number;
  try {
    ({ port } = await call("linkListen", { secret: secret.toString("hex") }));
  } catch (e) {
    void spdy?.then((c) => c instanceof Error || c.discard());
    throw e;
  }
  const { transport, protocol } = await openPortForward(o, port, spdy, wanted);
  transport.write(secret);
  return {
    transport,
    kind: "portforward",
    description: `port-forward (${protocol}) to ${o.where}`,
    tuning: { ...o.tuning, streamPriority: 1 },
    close: async () => transport.close(),
  };
}

type Protocol = "SPDY" | "WebSocket";

/**
 * SPDY first: the API server passes it through and the runtime copies its frames with less work than WebSocket
 * messages (kube/portforward-spdy.ts). Where it cannot be used (an https:// or SOCKS proxy, a server or proxy that
 * refuses the upgrade), the WebSocket protocol, whose errors also say why a port-forward is refused.
 */
async function openPortForward(
  o: PortForwardLinkOptions,
  port: number,
  spdy: Promise<SpdyPortForwardConnection | Error> | undefined,
  wanted: string | undefined,
): Promise<{ transport: Transport; protocol: Protocol }> {
  const options = { pingIntervalMs: 5000 };
  const connection = await spdy;
  if (connection && !(connection instanceof Error))
    return { transport: connection.open(port, options), protocol: "SPDY" };
  if (connection && wanted === "spdy") throw connection;
  if (connection) debugKube(`portforward: SPDY not available (${connection.message}), using WebSocket`);
  const target = { namespace: o.namespace, pod: o.pod, port, ...options };
  return { transport: await portForwardTransport(o.client, target), protocol: "WebSocket" };
}
