/** Run the compiled kfwd binary (dist/kfwd) the way a user does, and collect what it printed. */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const KFWD = join(import.meta.dir, "../../dist/kfwd");

export interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function kfwd(
  args: string[],
  options: { env?: Record<string, string>; input?: string; timeoutMs?: number } = {},
): Promise<Result> & { child: ChildProcess } {
  const child = spawn(KFWD, args, { env: { ...process.env, ...options.env }, stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  child.stdin!.end(options.input ?? "");
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
  const done = new Promise<Result>((resolve) =>
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    }),
  ) as Promise<Result> & { child: ChildProcess };
  done.child = child;
  return done;
}

/** A profile file in a fresh temp dir. */
export function writeProfile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "kfwd-profile-"));
  const path = join(dir, "profile.toml");
  writeFileSync(path, text);
  return path;
}

export const localProfile = (netns: string, extra = ""): string =>
  writeProfile(`[target]\nlocal = true\nnetns = "${netns}"\n${extra}`);
