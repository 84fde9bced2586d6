/**
 * The API server at an emulated distance: a delay relay (bench/delay-relay.ts, its own process) on
 * 127.0.0.1 in front of the lab's API server, and a copy of the restricted kubeconfig pointing at it. The
 * server certificate names 127.0.0.1, so TLS verifies as before. RTT 0 uses the API server directly.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Link {
  rttMs: number;
  /** The restricted kubeconfig as seen over this link. */
  kubeconfig: string;
  stop(): void;
}

export async function openLink(restricted: string, rttMs: number): Promise<Link> {
  if (rttMs === 0) return { rttMs, kubeconfig: restricted, stop: () => {} };
  const original = readFileSync(restricted, "utf8");
  const server = /^\s*server:\s*https:\/\/([^/\s]+)\s*$/m.exec(original)?.[1];
  if (!server) throw new Error(`${restricted}: no https server line to put the relay in front of`);
  const relay = spawn(process.execPath, [join(import.meta.dir, "delay-relay.ts"), "127.0.0.1", server, String(rttMs)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    relay.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      const m = /port (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    relay.once("exit", (code) => reject(new Error(`delay relay exited ${code}`)));
  });
  const kubeconfig = join(mkdtempSync(join(tmpdir(), "kfwd-bench-link-")), "kubeconfig");
  writeFileSync(kubeconfig, original.replace(`https://${server}`, `https://127.0.0.1:${port}`), { mode: 0o600 });
  return { rttMs, kubeconfig, stop: () => relay.kill("SIGTERM") };
}
