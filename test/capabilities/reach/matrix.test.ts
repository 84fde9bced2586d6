/**
 * The client matrix: 18 common clients (and Bun's node:net), each unchanged, given the env a real pod has (a
 * database URL, a Redis URL, an API URL under cluster names, and service-link variables with a Service IP),
 * reach the cluster's services through `kfwd run` — and each fails without kfwd. Real servers: PostgreSQL and
 * Redis (Debian packages) and an HTTP API inside the fake cluster's network namespace.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  canMakeNetns,
  type FakeCluster,
  SERVICE_ADDR,
  SERVICE_NAMES,
  startFakeCluster,
} from "../../helpers/fake-cluster";
import { DB_PORTS, type FakeDatabases, hasDatabases, startDatabases } from "../../helpers/fake-databases";
import { localProfile } from "../../helpers/kfwd";
import { compileClients, EXPECTED, matrixClients, NEED_REWRITE, type Results, runMatrix } from "./helpers/matrix";

/** The pod-style env, as Kubernetes and a typical Deployment would set it. */
const POD_ENV = {
  DATABASE_URL: `postgres://postgres:s3cret@${SERVICE_NAMES.db}:${DB_PORTS.postgres}/postgres?sslmode=disable`,
  REDIS_URL: `redis://${SERVICE_NAMES.cache}:${DB_PORTS.redis}/0`,
  API_URL: `http://${SERVICE_NAMES.api}:8080/`,
  DB_SERVICE_HOST: SERVICE_ADDR,
  DB_SERVICE_PORT: String(DB_PORTS.postgres),
};

const tomlSet = (env: Record<string, string>): string =>
  `[env.set]\n${Object.entries(env)
    .map(([k, v]) => `${k} = ${JSON.stringify(v)}`)
    .join("\n")}\n`;

describe.skipIf(!canMakeNetns() || !hasDatabases())("every client reaches the cluster unchanged", () => {
  let cluster: FakeCluster;
  let databases: FakeDatabases;
  let bin: string;
  /** What each client got: through kfwd with the defaults, without kfwd, and with rewriting off. */
  let through: Results;
  let without: Results;
  let hooksOnly: Results;

  beforeAll(async () => {
    bin = mkdtempSync(join(tmpdir(), "kfwd-matrix-"));
    const compiled = compileClients(bin); // while the cluster starts
    cluster = await startFakeCluster();
    databases = await startDatabases(cluster.netns);
    await compiled;
    const clients = matrixClients(bin);
    [through, without, hooksOnly] = await Promise.all([
      runMatrix(clients, { profile: localProfile(cluster.netns, tomlSet(POD_ENV)) }),
      runMatrix(clients, { env: POD_ENV }),
      runMatrix(clients, { profile: localProfile(cluster.netns, `${tomlSet(POD_ENV)}[reach]\nrewrite = false\n`) }),
    ]);
  }, 240_000);

  afterAll(async () => {
    await databases?.stop();
    await cluster?.stop();
    if (bin) rmSync(bin, { recursive: true, force: true });
  });

  test("the matrix has the issue's 18 clients, and Bun's node:net", () => {
    expect(Object.keys(EXPECTED)).toHaveLength(19);
    expect(Object.keys(through).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const [name, output] of Object.entries(EXPECTED)) {
    test(`${name}: reaches through kfwd run, fails without it`, () => {
      expect({ name, ...through[name] }).toMatchObject({ name, code: 0, output: expect.stringMatching(output) });
      expect(without[name]?.code).not.toBe(0);
      expect(without[name]?.output).not.toMatch(output);
    });
  }

  // With rewriting off, what still reaches shows each other mechanism on its own: the proxy variables
  // (curl, wget, Python's HTTP clients, Go net/http, Bun fetch), the Node/Bun preload (Node fetch/http/net,
  // Bun node:net) and JAVA_TOOL_OPTIONS (all three Java clients). Only clients that ignore all of them need
  // the rewrite.
  test("with [reach] rewrite = false, the proxy variables, the preload and the JVM options reach the rest", () => {
    const reached = Object.keys(EXPECTED).filter((name) => hooksOnly[name]?.code === 0);
    expect(reached.sort()).toEqual(
      Object.keys(EXPECTED)
        .filter((n) => !NEED_REWRITE.includes(n))
        .sort(),
    );
  });
});
