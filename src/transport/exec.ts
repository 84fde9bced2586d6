/**
 * The exec stream as the tunnel's transport, with errors that name the agent rather than its command line
 * (the bootstrap loader is a few hundred characters of JavaScript nobody wants in a warning).
 */
import { KfwdError } from "../errors";
import { ExecExitError, type ExecTransport } from "../kube/index";
import type { Transport } from "../../wire/transport";

export function agentTransport(exec: ExecTransport, where: string): Transport {
  return {
    write: (data) => exec.write(data),
    onData: (listener) => exec.onData(listener),
    onDrain: (listener) => exec.onDrain(listener),
    onClose: (listener) => exec.onClose((error) => (error ? listener(agentError(error, where)) : listener())),
    close: () => {
      // v5 can say "no more input", which ends the agent cleanly; closing the socket does too.
      exec.closeStdin();
      exec.close();
    },
  };
}

function agentError(error: Error, where: string): Error {
  if (!(error instanceof ExecExitError)) return error;
  const code = error.status.exitCode;
  const why =
    code === 137
      ? " (killed: SIGKILL, or out of memory — see [agent] memory)"
      : code === 3
        ? " (the bootstrap did not receive the agent code)"
        : "";
  return new KfwdError(
    error.code,
    `The agent in ${where} exited${code !== undefined ? ` with code ${code}` : `: ${error.status.message ?? error.status.reason ?? "failure"}`}${why}`,
    error.hint,
    { cause: error },
  );
}
