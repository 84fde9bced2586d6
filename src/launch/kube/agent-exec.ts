/**
 * Exec'ing the agent into a container that is still starting. The kubelet reports a new container as running
 * only after its next relist of the runtime (up to ~1 s later); exec works as soon as the runtime has started
 * it. Until then the API server still accepts the exec upgrade and the kubelet answers on the status channel
 * with "container not found", so attempts repeat every RETRY_MS while that is the answer, and the start watch
 * ends them when it sees the container fail (image pull, crash) or its start_timeout pass. Between the
 * runtime creating the container and starting it, the exec connection is instead dropped without a status
 * (WebSocket 1006): also retried, but only until the kubelet reports the container running.
 */
import { KfwdError } from "../../errors";
import { ExecExitError, type ExecTransport } from "../../kube/index";
import type { AgentHome } from "./home";

const RETRY_MS = 40;
/** After the kubelet said "running", exec should find the container: a few more tries absorb the race. */
const TRIES_AFTER_RUNNING = 5;
const NOT_STARTED = /container not found|is not running|not created or running/i;

/**
 * `open` execs the agent and sends its payload. Returns a transport whose command has written something
 * (the agent's HELLO), or — for any other failure — the closed transport, whose close error the tunnel
 * reports as it would for a running container.
 */
export async function execAgent(home: AgentHome, open: () => Promise<ExecTransport>): Promise<ExecTransport> {
  const starting = home.starting;
  home.starting = undefined;
  if (!starting) return open();
  let running = false;
  let startFailure: unknown;
  const failed = starting.done.then(
    () => {
      running = true;
      return new Promise<never>(() => {}); // running is no reason to stop an attempt
    },
    (e: unknown) => {
      startFailure = e;
      throw e;
    },
  );
  failed.catch(() => {});
  try {
    for (let afterRunning = 0; ; ) {
      if (startFailure !== undefined) throw startFailure;
      const transport = await open();
      try {
        await Promise.race([transport.firstOutput, failed]);
        return transport;
      } catch (e) {
        if (startFailure !== undefined) {
          transport.close();
          throw startFailure;
        }
        const notFound =
          e instanceof ExecExitError && e.status.exitCode === undefined && NOT_STARTED.test(e.status.message ?? "");
        const dropped = !running && e instanceof KfwdError && e.code === "KFWD_EXEC_STREAM_CLOSED";
        const retry = notFound || dropped;
        if (!retry || (running && ++afterRunning > TRIES_AFTER_RUNNING)) return transport;
      }
      await Bun.sleep(RETRY_MS);
    }
  } finally {
    starting.stop();
  }
}
