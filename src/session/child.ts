import { spawn } from "node:child_process";
import { constants } from "node:os";
import { KfwdError } from "../errors";
import { cannotExec, dieWithKfwd } from "./parent-death";

/** Signals kfwd passes on to the command it runs. */
const FORWARDED: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH"];

/**
 * Run the user's command in the foreground and resolve with its exit code (128 + n if signal n ended it,
 * as shells report it). Signals sent to kfwd go to the command; kfwd stays up until the command exits so it
 * can clean up after it. SIGINT from a terminal already reaches the whole foreground process group, so it is
 * forwarded only when stdin is not a terminal — otherwise the command would see Ctrl-C twice.
 */
export function runChild(command: readonly string[], env: Record<string, string | undefined>): Promise<number> {
  const file = command[0] ?? "";
  return new Promise((resolve, reject) => {
    // Checked here because the helper that starts it (parent-death.ts) would report it in its own words.
    const missing = cannotExec(file, env);
    if (missing !== undefined) return reject(cannotRun(file, missing));
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(...dieWithKfwd(command as [string, ...string[]]), { stdio: "inherit", env });
    } catch (error) {
      // Bun throws some exec() failures (E2BIG: arguments and env too large) here rather than emitting them.
      return reject(cannotRun(file, (error as NodeJS.ErrnoException).code ?? String(error)));
    }
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
      reject(cannotRun(file, error.code === "ENOENT" ? "ENOENT" : error.message));
    });
    child.once("exit", (code, signal) => {
      detach();
      if (signal) resolve(128 + (constants.signals[signal] ?? 0));
      else resolve(code ?? 1);
    });
  });
}

/** The command could not be started: 127 when it does not exist, 126 otherwise, as shells report it. */
function cannotRun(file: string, reason: string): KfwdError {
  const missing = reason === "ENOENT";
  return new KfwdError(
    "KFWD_COMMAND_NOT_FOUND",
    `Cannot run "${file}": ${missing ? "command not found" : reason === "EACCES" ? "permission denied" : reason}`,
    missing
      ? "Check the spelling, or give the full path of the program."
      : "Check that the file is executable (chmod +x).",
    { exitCode: missing ? 127 : 126 },
  );
}
