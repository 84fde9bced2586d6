/**
 * Is a background session's process still there? `kill(pid, 0)` alone is not enough: the process that
 * started it has exited, so a killed session is reparented, and an init that does not reap leaves it as a
 * zombie that still answers signal 0.
 */
import { closeSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";

export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch {
    // ESRCH: gone. EPERM: another user's process, so the pid was reused and our session is gone too.
    return false;
  }
  return !isZombie(pid);
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) S ...": comm may hold spaces or parentheses, so the state is the field after the last ")".
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z";
  } catch {
    return false; // no /proc (macOS): trust kill(0)
  }
}

export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await Bun.sleep(25);
  }
  return true;
}

/**
 * A start lock, so two `kfwd env` at once for the same profile start one session, not two. The file holds
 * the holder's pid; a lock whose holder died is taken over. Returns a release function, or undefined if a
 * live process holds it.
 */
export function tryLock(path: string): (() => void) | undefined {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const holder = Number.parseInt(readOr(path, ""), 10);
      // An empty file is a holder between creating and writing it: held, unless it has been empty for long.
      if (Number.isNaN(holder) ? ageMs(path) < 5000 : isAlive(holder)) return undefined;
      rmSync(path, { force: true });
    }
  }
  return undefined;
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return Infinity;
  }
}

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return fallback;
  }
}
