/**
 * The client matrix: 18 common clients, each unchanged, given the env a real pod has (a database URL, a Redis
 * URL, an API URL under cluster names, and service-link variables with a Service IP), reach the cluster's
 * services through `kfwd run` — and each fails without kfwd. Real servers: PostgreSQL and Redis (Debian
 * packages) and an HTTP API inside the fake cluster's network namespace. Compiled once (Go, Java), run in
 * parallel.
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
import { kfwd, localProfile } from "../../helpers/kfwd";

const fixtures = join(import.meta.dir, "../../fixtures/clients/matrix");

/** The pod-style env, as Kubernetes and a typical Deployment would set it. */
export const POD_ENV = {
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

type Results = Record<string, { code: number | null; output: string; ms: number }>;

async function build(argv: string[]): Promise<void> {
  const child = Bun.spawn(argv, { cwd: fixtures, stdout: "ignore", stderr: "pipe" });
  const err = await new Response(child.stderr).text();
  if ((await child.exited) !== 0) throw new Error(`${argv.join(" ")}: ${err}`);
}

const HELLO = /hello from the cluster/;
const POSTGRES = /postgres answered/;

describe.skipIf(!canMakeNetns() || !hasDatabases())("every client reaches the cluster unchanged", () => {
  let cluster: FakeCluster;
  let databases: FakeDatabases;
  let bin: string;
  let clients: Record<string, string[]>;
  /** What each client got: through kfwd with the defaults, without kfwd, and with rewriting off. */
  let through: Results;
  let without: Results;
  let hooksOnly: Results;

  const runAll = async (profile: string | undefined): Promise<Results> => {
    const driver = [process.execPath, join(fixtures, "run-all.ts"), JSON.stringify(clients)];
    if (profile === undefined) {
      const child = Bun.spawn(driver, { env: { ...process.env, ...POD_ENV }, stdout: "pipe", timeout: 120_000 });
      return JSON.parse(await new Response(child.stdout).text()) as Results;
    }
    const r = await kfwd(["run", profile, "--", ...driver], { timeoutMs: 120_000 });
    if (r.code !== 0) throw new Error(`kfwd run failed (${r.code}): ${r.stderr}`);
    return JSON.parse(r.stdout) as Results;
  };

  beforeAll(async () => {
    bin = mkdtempSync(join(tmpdir(), "kfwd-matrix-"));
    // Compiled once, while the cluster starts (a cold Go build cache takes most of a minute for net/http).
    const compiled = Promise.all([
      build(["go", "build", "-o", join(bin, "go-clients"), "clients.go"]),
      build(["javac", "-d", bin, "Matrix.java"]),
    ]);
    cluster = await startFakeCluster();
    databases = await startDatabases(cluster.netns);
    await compiled;
    const py = (mode: string) => ["python3", join(fixtures, "python-clients.py"), mode];
    const java = (mode: string) => ["java", "-cp", bin, "Matrix", mode];
    const node = (mode: string) => ["node", join(fixtures, "node.mjs"), mode];
    const sh = (script: string) => ["sh", "-c", script];
    clients = {
      curl: sh('curl -sS --fail --max-time 10 "${API_URL}hello"'),
      wget: sh('wget -q -O - --timeout=10 --tries=1 "${API_URL}hello"'),
      "python requests": py("requests"),
      "python httpx": py("httpx"),
      "python urllib": py("urllib"),
      "python psycopg": py("psycopg"),
      "python redis-py": py("redis"),
      "go net/http": [join(bin, "go-clients"), "http"],
      "go net.Dial DB_SERVICE_HOST:DB_SERVICE_PORT": [join(bin, "go-clients"), "dial"],
      "java HttpURLConnection": java("urlconn"),
      "java HttpClient": java("httpclient"),
      "java Socket": java("socket"),
      "node fetch": node("fetch"),
      "node http": node("http"),
      "node net": node("net"),
      "bun fetch": [
        process.execPath,
        "-e",
        'const r = await fetch(process.env.API_URL + "hello"); console.log(await r.text()); process.exit(r.ok ? 0 : 1)',
      ],
      "bun node:net": [process.execPath, join(fixtures, "node.mjs"), "net"],
      psql: sh('psql "$DATABASE_URL" -tAc "select 40 + 2"'),
      "redis-cli": sh('redis-cli -u "$REDIS_URL" ping'),
    };
    [through, without, hooksOnly] = await Promise.all([
      runAll(localProfile(cluster.netns, tomlSet(POD_ENV))),
      runAll(undefined),
      runAll(localProfile(cluster.netns, `${tomlSet(POD_ENV)}[reach]\nrewrite = false\n`)),
    ]);
  }, 240_000);

  afterAll(async () => {
    await databases?.stop();
    await cluster?.stop();
    if (bin) rmSync(bin, { recursive: true, force: true });
  });

  /** What each client prints once it reached the service. */
  const expected: Record<string, RegExp> = {
    curl: HELLO,
    wget: HELLO,
    "python requests": HELLO,
    "python httpx": HELLO,
    "python urllib": HELLO,
    "python psycopg": /psycopg 42/,
    "python redis-py": /redis-py True/,
    "go net/http": HELLO,
    "go net.Dial DB_SERVICE_HOST:DB_SERVICE_PORT": POSTGRES,
    "java HttpURLConnection": HELLO,
    "java HttpClient": HELLO,
    "java Socket": POSTGRES,
    "node fetch": HELLO,
    "node http": HELLO,
    "node net": /\+PONG/,
    "bun fetch": HELLO,
    "bun node:net": /\+PONG/,
    psql: /^42$/m,
    "redis-cli": /PONG/,
  };

  test("the matrix has the issue's 18 clients, and Bun's node:net", () => {
    expect(Object.keys(expected)).toHaveLength(19);
    expect(Object.keys(through).sort()).toEqual(Object.keys(expected).sort());
  });

  for (const [name, output] of Object.entries(expected)) {
    test(`${name}: reaches through kfwd run, fails without it`, () => {
      expect({ name, ...through[name] }).toMatchObject({ name, code: 0, output: expect.stringMatching(output) });
      expect(without[name]?.code).not.toBe(0);
      expect(without[name]?.output).not.toMatch(output);
    });
  }

  // With rewriting off, what still reaches shows each other mechanism on its own: the proxy variables
  // (curl, wget, Python's HTTP clients, Go net/http, Bun fetch), the Node/Bun preload (Node fetch/http/net)
  // and JAVA_TOOL_OPTIONS (all three Java clients). Only clients that ignore all of them need the rewrite.
  const needRewrite = [
    "python psycopg",
    "python redis-py",
    "go net.Dial DB_SERVICE_HOST:DB_SERVICE_PORT",
    "psql",
    "redis-cli",
  ];
  test("with [reach] rewrite = false, the proxy variables, the preload and the JVM options reach the rest", () => {
    const reached = Object.keys(expected).filter((name) => hooksOnly[name]?.code === 0);
    expect(reached.sort()).toEqual(
      Object.keys(expected)
        .filter((n) => !needRewrite.includes(n))
        .sort(),
    );
  });
});
