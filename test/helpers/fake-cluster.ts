/**
 * "The cluster" for data-path tests: a Linux network namespace holding real services on an address and names
 * the host cannot reach (127.0.99.10 inside the namespace is nothing on the host; the names exist only in the
 * namespace's /etc/hosts). kfwd's local target runs its agent inside it. Needs root (ip netns).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { selfSignedCert } from "./self-signed";

export const CLUSTER_ADDR = "127.0.99.10";
export const NAMES = {
  web: "web.shop.svc.cluster.local",
  echo: "echo.shop.svc.cluster.local",
  tls: "secure.shop.svc.cluster.local",
} as const;
/**
 * A "Service IP" off loopback (on the namespace's own lo), as a real cluster's are: kfwd
 * never rewrites loopback addresses. The host has no such address. Databases (./fake-databases.ts) and the
 * API of the client matrix listen here, under these names.
 */
export const SERVICE_ADDR = "10.96.0.10";
export const SERVICE_NAMES = {
  db: "db.shop.svc.cluster.local",
  cache: "cache.shop.svc.cluster.local",
  api: "api.shop.svc.cluster.local",
} as const;
export const PORTS = {
  http: 8080,
  https: 8443,
  echo: 9000,
  sink: 9001,
  source: 9002,
  reset: 9003,
  blackhole: 9004,
} as const;

export interface FakeCluster {
  netns: string;
  certDir: string;
  caFile: string;
  stop(): Promise<void>;
}

export const canMakeNetns = (): boolean => process.getuid?.() === 0 && spawnSync("ip", ["netns", "list"]).status === 0;

function sh(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: ${r.stderr}`);
}

let counter = 0;

export async function startFakeCluster(): Promise<FakeCluster> {
  const netns = `kfwd-t${process.pid}-${counter++}`;
  const certDir = mkdtempSync(join(tmpdir(), "kfwd-cert-"));
  selfSignedCert(certDir, NAMES.tls);
  sh("ip", ["netns", "add", netns]);
  sh("ip", ["-n", netns, "link", "set", "lo", "up"]);
  sh("ip", ["-n", netns, "addr", "add", `${SERVICE_ADDR}/32`, "dev", "lo"]);
  const etc = `/etc/netns/${netns}`;
  mkdirSync(etc, { recursive: true });
  writeFileSync(
    join(etc, "hosts"),
    `127.0.0.1 localhost\n::1 localhost\n${CLUSTER_ADDR} ${Object.values(NAMES).join(" ")}\n` +
      `${SERVICE_ADDR} ${Object.values(SERVICE_NAMES).join(" ")} ledger.shop\n`,
  );
  writeFileSync(join(etc, "resolv.conf"), "nameserver 127.0.0.1\n");
  const services: ChildProcess = spawn(
    "ip",
    [
      "netns",
      "exec",
      netns,
      process.execPath,
      join(import.meta.dir, "../fixtures/cluster-services.ts"),
      CLUSTER_ADDR,
      SERVICE_ADDR,
      join(certDir, "cert.pem"),
      join(certDir, "key.pem"),
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const firstLine = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: services.stdout! });
    rl.once("line", resolve);
    services.once("exit", (code) => reject(new Error(`cluster services exited with ${code}`)));
  });
  JSON.parse(firstLine);
  return {
    netns,
    certDir,
    caFile: join(certDir, "cert.pem"),
    async stop() {
      services.kill("SIGKILL");
      // Anything still running in the namespace (an agent a test leaked) must not outlive it.
      spawnSync("ip", ["netns", "pids", netns], { encoding: "utf8" })
        .stdout?.split("\n")
        .filter(Boolean)
        .forEach((pid) => spawnSync("kill", ["-9", pid]));
      spawnSync("ip", ["netns", "del", netns]);
      rmSync(etc, { recursive: true, force: true });
      rmSync(certDir, { recursive: true, force: true });
    },
  };
}
