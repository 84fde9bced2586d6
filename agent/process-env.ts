/**
 * Reading another process's environment: the target container's main process, seen from an agent that shares
 * its PID namespace (an ephemeral container with `targetContainerName`, running as the target's UID). That is
 * the container's runtime env — image ENV, service-link variables, ConfigMap/Secret values — which the pod
 * spec alone cannot show.
 */
import { readFileSync, readdirSync, readlinkSync } from "node:fs";
import { KfwdError } from "../wire/kfwd-error";

export interface ProcessEnv {
  pid: number;
  command: string;
  env: Record<string, string>;
}

export function processEnv(pid?: number): ProcessEnv {
  const target = pid ?? targetMainPid();
  let raw: string;
  try {
    raw = readFileSync(`/proc/${target}/environ`, "utf8");
  } catch (error) {
    throw new KfwdError(
      "KFWD_PROCESS_ENV_UNREADABLE",
      `Cannot read the environment of process ${target}: ${(error as Error).message}`,
      uidHint(target),
    );
  }
  const env: Record<string, string> = {};
  for (const entry of raw.split("\0")) {
    const eq = entry.indexOf("=");
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return { pid: target, command: commandOf(target), env };
}

/**
 * The target container's main process: the lowest PID outside our own container (another mount namespace)
 * whose environ we may read. PID 1 is usually it; with `shareProcessNamespace` PID 1 is the pause process
 * (another UID, unreadable), so the lowest readable one is taken.
 */
export function targetMainPid(): number {
  const ownMnt = nsOf("self");
  const pids = readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => pid !== process.pid)
    .sort((a, b) => a - b);
  let firstOther: number | undefined;
  for (const pid of pids) {
    const mnt = nsOf(String(pid));
    if (mnt !== undefined && mnt === ownMnt) continue;
    firstOther ??= pid;
    try {
      readFileSync(`/proc/${pid}/environ`);
      return pid;
    } catch {
      // another UID or not dumpable: keep looking
    }
  }
  if (firstOther !== undefined) return firstOther; // unreadable: processEnv reports why
  throw new KfwdError(
    "KFWD_PROCESS_NOT_FOUND",
    "Cannot find the target container's process: the agent sees no process outside its own container",
    'The agent shares the target\'s processes only as an ephemeral container with targetContainerName (placement "ephemeral").',
  );
}

function nsOf(pid: string): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/mnt`);
  } catch {
    return undefined;
  }
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ").slice(0, 200);
  } catch {
    return "";
  }
}

/** /proc/<pid>/status is readable by anyone: it tells which UID the agent would need. */
function uidHint(pid: number): string {
  let uid = "";
  try {
    uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? "";
  } catch {
    // gone
  }
  const own = process.getuid?.();
  return uid && String(own) !== uid
    ? `The process runs as UID ${uid} and the agent as ${own}: set runAsUser in the target container's securityContext so kfwd can match it.`
    : "The agent needs the target's UID and no extra capabilities on the target to read its environment.";
}
