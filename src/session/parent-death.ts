/**
 * The command kfwd runs must not outlive kfwd: after `kill -9` of kfwd it would keep running without its
 * proxies, and its cluster connections would fail in confusing ways. On Linux a parent-death signal does it:
 * util-linux's `setpriv --pdeathsig SIGTERM` sets it on itself and then execs the command, so the command keeps
 * kfwd's child pid (signal forwarding and exit codes are unchanged) and gets SIGTERM when kfwd dies. It costs
 * about 1 ms per start (a re-executed kfwd that set it through bun:ffi would cost ~60 ms). Without setpriv the
 * command is started directly, and outlives a killed kfwd as before.
 */
import { spawnSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { debug } from "../ui/log";

let setpriv: string | null | undefined;

/** setpriv's path if it is there and knows --pdeathsig (util-linux 2.33 and later), else null. */
function findSetpriv(): string | null {
  if (setpriv !== undefined) return setpriv;
  setpriv = null;
  if (process.platform !== "linux") return setpriv;
  const path = Bun.which("setpriv", { PATH: "/usr/bin:/bin:/usr/sbin:/sbin" });
  if (path === null) return setpriv;
  const help = spawnSync(path, ["--help"], { encoding: "utf8", timeout: 5_000 });
  if (help.status === 0 && help.stdout.includes("--pdeathsig")) setpriv = path;
  else debug("child")(`${path} has no --pdeathsig: the command will outlive a killed kfwd`);
  return setpriv;
}

/** Why `file` cannot be started with `env`'s PATH ("ENOENT", "EACCES"), or undefined when it can. */
export function cannotExec(file: string, env: Record<string, string | undefined>): "ENOENT" | "EACCES" | undefined {
  if (!file.includes("/")) return Bun.which(file, { PATH: env.PATH ?? "" }) === null ? "ENOENT" : undefined;
  try {
    accessSync(file, constants.X_OK);
    return undefined;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ENOENT" ? "ENOENT" : "EACCES";
  }
}

/** The file and arguments that start `command` so that it gets SIGTERM when kfwd dies (where that can be done). */
export function dieWithKfwd(command: readonly [string, ...string[]]): [string, string[]] {
  const helper = findSetpriv();
  if (helper === null) return [command[0], command.slice(1)];
  return [helper, ["--pdeathsig", "SIGTERM", "--", ...command]];
}
