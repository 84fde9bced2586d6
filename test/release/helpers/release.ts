/** Runs scripts/release.ts into a temp dir, for the install tests. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "../../..");

export function release(args: string[]): string {
  const out = mkdtempSync(join(tmpdir(), "kfwd-release-"));
  const r = Bun.spawnSync([process.execPath, "run", join(ROOT, "scripts/release.ts"), "--out", out, ...args], {
    cwd: ROOT,
    stdout: "pipe",
    stderr: "pipe",
  });
  if (r.exitCode !== 0) throw new Error(`release ${args.join(" ")} failed: ${r.stderr.toString()}`);
  return out;
}

/** Asynchronous, so a server in this process (the local registry) keeps answering meanwhile. */
export async function sh(argv: string[], opts: { cwd?: string; env?: Record<string, string> } = {}) {
  const p = Bun.spawn(argv, {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, ...opts.env },
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  return { code, stdout, stderr };
}
