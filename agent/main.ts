/**
 * The kfwd agent: started by the bootstrap loader (src/launch/bootstrap.ts) under Bun, it speaks the wire
 * protocol on stdin/stdout and logs to stderr. It exits 0 when stdin ends, or when kfwd has been silent for
 * KFWD_AGENT_IDLE_TIMEOUT ms (kfwd pings well within that), so a crashed kfwd leaves no agent behind.
 * KFWD_AGENT_WINDOW sets the receive window it grants each stream, KFWD_AGENT_MEMORY_LIMIT (its container's
 * limit in bytes, from the downward API) the session's receive budget (docs/wire-protocol.md §5).
 */
import { hostname } from "node:os";
import { performance } from "node:perf_hooks";
import { agentReceiveBudget } from "../wire/budget";
import { DEFAULT_STREAM_WINDOW } from "../wire/constants";
import type { CallHandlers } from "../wire/calls";
import { Mux, type IncomingOpen } from "../wire/mux";
import { FILES_STREAM_KIND } from "../wire/files";
import { DIAL_KIND } from "../wire/payloads";
import { agentCalls } from "./calls";
import { incomingAgent } from "./incoming/index";
import { tcpDialer } from "./dial";
import { serveFiles } from "./files/serve";
import { linkListener } from "./link-listener";
import { log } from "./log";
import { processTransport } from "./process-transport";
import { AGENT_VERSION } from "./version";

/** Set by the bootstrap loader: protocol bytes that arrived in the same read as the end of the bundle. */
declare global {
  var __kfwdAgentLeftover: Uint8Array | undefined;
}

function envMs(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

function main(): void {
  const idleTimeoutMs = envMs("KFWD_AGENT_IDLE_TIMEOUT", 30_000);
  const dialer = tcpDialer({ timeoutMs: envMs("KFWD_AGENT_DIAL_TIMEOUT", 10_000), log });
  const leftover = globalThis.__kfwdAgentLeftover;
  globalThis.__kfwdAgentLeftover = undefined;

  const incoming = incomingAgent(log);
  const streamWindow = envMs("KFWD_AGENT_WINDOW", DEFAULT_STREAM_WINDOW);
  const receiveBudget = agentReceiveBudget(Number(process.env.KFWD_AGENT_MEMORY_LIMIT) || undefined);
  const links: Mux[] = [];
  // A second link (pods/portforward to the pod's loopback) serves dials and files like the first; calls, pings
  // and incoming streams stay on the first, whose end ends the agent.
  const listener = linkListener((transport) => {
    const link = new Mux(transport, { ...muxOptions, handlers: { ...agentCalls, ...incoming.handlers, linkListen } });
    links.push(link);
    void link.closed.then(() => links.splice(links.indexOf(link), 1));
    return link;
  }, log);
  const linkListen: CallHandlers["linkListen"] = ({ secret }) => listener.listen(secret);
  const muxOptions = {
    role: "agent" as const,
    streamKinds: [DIAL_KIND, FILES_STREAM_KIND],
    onStream: (request: IncomingOpen) =>
      request.kind === FILES_STREAM_KIND ? serveFiles(request, log) : dialer.handle(request),
    log,
    // Cluster placements set this: credit crosses the API server, so uploads need the host's larger window.
    streamWindow,
    receiveBudget,
    info: {
      agentVersion: AGENT_VERSION,
      pid: String(process.pid),
      hostname: hostname(),
      bunVersion: typeof Bun !== "undefined" ? Bun.version : "",
      idleTimeoutMs: String(idleTimeoutMs),
      // The most credit it grants one stream (HELLO's window is only each stream's opening share).
      streamWindow: String(streamWindow),
      // What all its streams together may hold, from its container's memory limit.
      receiveBudget: String(receiveBudget),
    },
  };
  const mux = new Mux(processTransport(leftover), {
    ...muxOptions,
    handlers: { ...agentCalls, ...incoming.handlers, linkListen },
  });

  const idleCheck = setInterval(
    () => {
      const silentMs = performance.now() - mux.lastReceivedAt;
      if (silentMs > idleTimeoutMs) {
        log(`no word from kfwd for ${Math.round(silentMs)} ms (idle timeout ${idleTimeoutMs} ms); exiting`);
        mux.close("agent idle timeout");
      }
    },
    Math.min(1000, Math.max(10, idleTimeoutMs / 4)),
  );

  for (const signal of ["SIGTERM", "SIGINT"] as const) process.once(signal, () => mux.close(`agent got ${signal}`));

  incoming.attach(mux);
  void mux.ready.then((peer) => log(`session up (protocol ${peer.version}, pid ${process.pid})`));
  void mux.closed.then((error) => {
    clearInterval(idleCheck);
    listener.close();
    for (const link of links.splice(0)) link.close("agent ending");
    dialer.closeAll();
    if (error) log(`session ended: ${error.message}`);
    // Whatever incoming traffic took is given back before the agent goes (kfwd may be gone: this is the restore
    // after kill -9). Bounded, so that a hung API server cannot keep the agent alive.
    void Promise.race([incoming.shutdown(), Bun.sleep(20_000)]).finally(() => finish());
  });
  const finish = (): void => {
    // Let what is queued on stdout go out, but do not wait for a reader that is gone.
    setTimeout(() => process.exit(0), 1000).unref();
    process.stdout.write(new Uint8Array(0), () => process.exit(0));
  };
}

main();
