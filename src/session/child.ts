import { spawn } from "node:child_process";
import { constants } from "node:os";
import { KfwdError } from "../errors";

/** Signals kfwd passes on to the command it runs. */
const FORWARDED: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH"];

/**
 * Run the user's command in the foreground and resolve with its exit code (128 + n if signal n ended it,
 * as shells report it). Signals sent to kfwd go to the command; kfwd stays up until the command exits so it
 * can clean up after it. SIGINT from a terminal already reaches the whole foreground process group, so it is
 * forwarded only when stdin is not a terminal — otherwise the command would see Ctrl-C twice.
 */
export function runChild(command: readonly string[], env: Record<string, string | undefined>): Promise<number> {
  const [file, ...args] = command as [string, ...string[]];
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: "inherit", env });
    const handlers = new Map<NodeJS.Signals, () => void>();
    for (const signal of FORWARDED) {
      const handler = (): void => {
        if (signal === "SIGINT" && process.stdin.isTTY) return;
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      };
      handlers.set(signal, handler);
      process.on(signal, handler);
    }
    const detach = (): void => {
      for (const [signal, handler] of handlers) process.off(signal, handler);
    };
    child.once("error", (error: NodeJS.ErrnoException) => {
      detach();
      reject(
        new KfwdError(
          "KFWD_COMMAND_NOT_FOUND",
          `Cannot run "${file}": ${error.code === "ENOENT" ? "command not found" : error.message}`,
          error.code === "ENOENT" ? "Check the spelling, or give the full path of the program." : undefined,
          { exitCode: error.code === "ENOENT" ? 127 : 126 },
        ),
      );
    });
    child.once("exit", (code, signal) => {
      detach();
      if (signal) resolve(128 + (constants.signals[signal] ?? 0));
      else resolve(code ?? 1);
    });
  });
}
