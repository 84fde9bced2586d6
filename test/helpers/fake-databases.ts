/**
 * Real PostgreSQL and Redis servers (Debian's postgresql and redis-server packages) inside a fake cluster's
 * network namespace, on its Service address: what the client matrix reaches. PostgreSQL runs as the
 * `postgres` system user (it refuses root) with trust authentication, on a fresh data directory.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { appendFileSync, chownSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SERVICE_ADDR } from "./fake-cluster";

export const DB_PORTS = { postgres: 5432, redis: 6379 } as const;

export interface FakeDatabases {
  stop(): Promise<void>;
}

/** Debian installs PostgreSQL's server binaries under a versioned directory. */
function postgresBin(name: string): string {
  const root = "/usr/lib/postgresql";
  const version = readdirSync(root).sort((a, b) => Number(b) - Number(a))[0];
  if (version === undefined) throw new Error(`no PostgreSQL under ${root}: apt-get install postgresql`);
  return join(root, version, "bin", name);
}

function inNetns(netns: string, argv: string[]): ChildProcess {
  return spawn("ip", ["netns", "exec", netns, ...argv], { stdio: ["ignore", "ignore", "pipe"] });
}

async function until(what: string, check: () => boolean, tries = 100): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (check()) return;
    await Bun.sleep(100);
  }
  throw new Error(`${what} did not start`);
}

export const hasDatabases = (): boolean =>
  spawnSync("sh", ["-c", "command -v redis-server && ls /usr/lib/postgresql/*/bin/postgres"]).status === 0;

export async function startDatabases(netns: string): Promise<FakeDatabases> {
  const dataDir = mkdtempSync(join(tmpdir(), "kfwd-pg-"));
  const uid = Number(spawnSync("id", ["-u", "postgres"], { encoding: "utf8" }).stdout);
  const gid = Number(spawnSync("id", ["-g", "postgres"], { encoding: "utf8" }).stdout);
  chownSync(dataDir, uid, gid);
  const init = spawnSync(
    "runuser",
    ["-u", "postgres", "--", postgresBin("initdb"), "-D", dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8"],
    { encoding: "utf8" },
  );
  if (init.status !== 0) throw new Error(`initdb: ${init.stderr}`);
  // Clients arrive from the agent, i.e. from the Service address itself, not from 127.0.0.1.
  appendFileSync(join(dataDir, "pg_hba.conf"), "host all all 0.0.0.0/0 trust\n");
  const postgres = inNetns(netns, [
    "runuser",
    "-u",
    "postgres",
    "--",
    postgresBin("postgres"),
    "-D",
    dataDir,
    "-k",
    dataDir,
    "-h",
    SERVICE_ADDR,
    "-p",
    String(DB_PORTS.postgres),
    "-c",
    "fsync=off",
  ]);
  const redis = inNetns(netns, [
    "redis-server",
    "--bind",
    SERVICE_ADDR,
    "--port",
    String(DB_PORTS.redis),
    "--save",
    "",
    "--appendonly",
    "no",
    "--protected-mode",
    "no",
  ]);
  const pgReady = (): boolean =>
    spawnSync("ip", [
      "netns",
      "exec",
      netns,
      postgresBin("pg_isready"),
      "-q",
      "-h",
      SERVICE_ADDR,
      "-p",
      String(DB_PORTS.postgres),
    ]).status === 0;
  const redisReady = (): boolean =>
    spawnSync("ip", ["netns", "exec", netns, "redis-cli", "-h", SERVICE_ADDR, "ping"], {
      encoding: "utf8",
    }).stdout.trim() === "PONG";
  const exited = (child: ChildProcess): Promise<void> =>
    child.exitCode !== null || child.signalCode !== null
      ? Promise.resolve()
      : new Promise((resolve) => child.once("exit", () => resolve()));
  const stop = async (): Promise<void> => {
    // runuser passes SIGTERM on to PostgreSQL (a "smart" shutdown); the namespace's teardown kills leftovers.
    postgres.kill("SIGTERM");
    redis.kill("SIGTERM");
    await Promise.race([Promise.all([exited(postgres), exited(redis)]), Bun.sleep(5000)]);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await until("PostgreSQL", pgReady);
    await until("Redis", redisReady);
  } catch (error) {
    await stop();
    throw error;
  }
  return { stop };
}
