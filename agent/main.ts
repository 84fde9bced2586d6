/**
 * The kfwd agent: started by the bootstrap loader (src/launch/bootstrap.ts) under Bun, it speaks the wire
 * protocol on stdin/stdout and logs to stderr. It exits 0 when stdin ends, or when kfwd has been silent for
 * KFWD_AGENT_IDLE_TIMEOUT ms (kfwd pings well within that), so a crashed kfwd leaves no agent behind.
 * KFWD_AGENT_WINDOW sets the receive window it grants each stream (docs/wire-protocol.md §5).
 */
import { hostname } from "node:os";
import { performance } from "node:perf_hooks";
import { DEFAULT_INITIAL_WINDOW } from "../wire/constants";
import { Mux } from "../wire/mux";
import { agentCalls } from "./calls";
import { tcpDialer } from "./dial";
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

  const mux = new Mux(processTransport(leftover), {
    role: "agent",
    handlers: agentCalls,
    onStream: (request) => dialer.handle(request),
    log,
    // Cluster placements set this: credit crosses the API server, so uploads need the host's larger window.
    initialWindow: envMs("KFWD_AGENT_WINDOW", DEFAULT_INITIAL_WINDOW),
    info: {
      agentVersion: AGENT_VERSION,
      pid: String(process.pid),
      hostname: hostname(),
      bunVersion: typeof Bun !== "undefined" ? Bun.version : "",
      idleTimeoutMs: String(idleTimeoutMs),
    },
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

  void mux.ready.then((peer) => log(`session up (protocol ${peer.version}, pid ${process.pid})`));
  void mux.closed.then((error) => {
    clearInterval(idleCheck);
    dialer.closeAll();
    if (error) log(`session ended: ${error.message}`);
    // Let what is queued on stdout go out, but do not wait for a reader that is gone.
    setTimeout(() => process.exit(0), 1000).unref();
    process.stdout.write(new Uint8Array(0), () => process.exit(0));
  });
}

main();
