#!/usr/bin/env bun
/**
 * The lab: a real single-node Kubernetes cluster built from source and run on this host, for kfwd's tests and
 * demos. `npm run lab -- <up|down|status>`. The work is done by the bash scripts beside this file; this edge
 * checks the arguments and root, runs the script, and reports failures as a KfwdError.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { KfwdError, isKfwdError } from "../src/errors";

const COMMANDS = {
  up: "up.sh",
  down: "down.sh",
  status: "status.sh",
} as const;
type Command = keyof typeof COMMANDS;

function isCommand(s: string | undefined): s is Command {
  return s !== undefined && Object.hasOwn(COMMANDS, s);
}

function run(argv: string[]): number {
  const cmd = argv[0];
  if (!isCommand(cmd)) {
    throw new KfwdError(
      "KFWD_LAB_USAGE",
      `Cannot run lab command "${cmd ?? ""}": unknown command`,
      "Use one of: npm run lab -- up | down | status",
    );
  }
  if (cmd !== "status" && process.getuid?.() !== 0) {
    throw new KfwdError(
      "KFWD_LAB_NEEDS_ROOT",
      `Cannot run "lab ${cmd}": the lab needs root (network namespaces, mounts, containerd)`,
      `Run it as root, e.g. sudo npm run lab -- ${cmd}. kfwd itself never needs root.`,
    );
  }
  const res = spawnSync("bash", [join(import.meta.dir, COMMANDS[cmd])], { stdio: "inherit" });
  if (res.error)
    throw new KfwdError("KFWD_LAB_SPAWN", `Cannot run "lab ${cmd}": ${res.error.message}`, "Is bash installed?");
  const code = res.status ?? 1;
  if (cmd === "up" && code !== 0) {
    throw new KfwdError(
      "KFWD_LAB_UP_FAILED",
      `Cannot bring the lab up: a component failed (exit ${code})`,
      "The failing component and the end of its log are printed above; `npm run lab -- down` cleans up.",
    );
  }
  return code;
}

try {
  process.exitCode = run(process.argv.slice(2));
} catch (e) {
  if (!isKfwdError(e)) throw e;
  console.error(`error: ${e.message}`);
  if (e.hint) console.error(`hint: ${e.hint}`);
  process.exitCode = e.code === "KFWD_LAB_USAGE" ? 2 : 1;
}
