/**
 * Whose filesystem the agent copies from. An ephemeral agent (told so by KFWD_AGENT_ENV_FROM=process) shares
 * the target's PID namespace and UID, and reads the target container's files through /proc/<pid>/root. Any
 * other agent — a local one, or an agent pod — reads its own filesystem.
 */
import { existsSync } from "node:fs";
import type { FilesView } from "../../wire/calls";
import { targetMainPid } from "../process-env";

let cached: number | undefined;

export function sharesTarget(): boolean {
  return process.env.KFWD_AGENT_ENV_FROM === "process";
}

/** kfwd names the target's mounts (KFWD_AGENT_MOUNTS) to every cluster agent that has a target. */
export function filesView(): FilesView {
  if (sharesTarget()) return "target";
  return process.env.KFWD_AGENT_MOUNTS !== undefined ? "separate" : "own";
}

/** "/proc/<pid>/root" or "" (own view); the target's PID is looked up again if its process is gone. */
export function targetRoot(): string {
  if (!sharesTarget()) return "";
  if (cached === undefined || !existsSync(`/proc/${cached}/root`)) cached = targetMainPid();
  return `/proc/${cached}/root`;
}
