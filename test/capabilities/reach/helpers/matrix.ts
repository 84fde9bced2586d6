/**
 * The client matrix, shared by the network-namespace test and the lab test: each client as it would be run
 * (argv), what it prints once it reached its service, compiled once (Go, Java) and run in parallel.
 */
import { join } from "node:path";
import { kfwd } from "../../../helpers/kfwd";

const FIXTURES = join(import.meta.dir, "../../../fixtures/clients/matrix");

export type Results = Record<string, { code: number | null; output: string; ms: number }>;

/** The HTTP API answers "hello from the cluster" in the namespace and "hello from <pod>" on the lab. */
const HELLO = /hello from /;
const POSTGRES = /postgres answered/;

/** What each client prints once it reached the service: the 18, and Bun's node:net. */
export const EXPECTED: Readonly<Record<string, RegExp>> = {
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

/** Clients that only the rewrite reaches: they read no proxy variable and run on no hooked runtime. */
export const NEED_REWRITE = [
  "python psycopg",
  "python redis-py",
  "go net.Dial DB_SERVICE_HOST:DB_SERVICE_PORT",
  "psql",
  "redis-cli",
];

async function build(argv: string[]): Promise<void> {
  const child = Bun.spawn(argv, { cwd: FIXTURES, stdout: "ignore", stderr: "pipe" });
  const err = await new Response(child.stderr).text();
  if ((await child.exited) !== 0) throw new Error(`${argv.join(" ")}: ${err}`);
}

/** Compiles the Go and Java clients into `bin` (a cold Go build cache takes most of a minute for net/http). */
export async function compileClients(bin: string): Promise<void> {
  await Promise.all([
    build(["go", "build", "-o", join(bin, "go-clients"), "clients.go"]),
    build(["javac", "-d", bin, "Matrix.java"]),
  ]);
}

/** name → argv, reading DATABASE_URL, REDIS_URL, API_URL and DB_SERVICE_HOST/PORT from their env. */
export function matrixClients(bin: string): Record<string, string[]> {
  const py = (mode: string) => ["python3", join(FIXTURES, "python-clients.py"), mode];
  const java = (mode: string) => ["java", "-cp", bin, "Matrix", mode];
  const node = (mode: string) => ["node", join(FIXTURES, "node.mjs"), mode];
  const sh = (script: string) => ["sh", "-c", script];
  return {
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
    "bun node:net": [process.execPath, join(FIXTURES, "node.mjs"), "net"],
    psql: sh('psql "$DATABASE_URL" -tAc "select 40 + 2"'),
    "redis-cli": sh('redis-cli -u "$REDIS_URL" ping'),
  };
}

/** Every client at once: through `kfwd run <profile>`, or without kfwd given `env`. */
export async function runMatrix(
  clients: Record<string, string[]>,
  how: { profile: string } | { env: Record<string, string> },
): Promise<Results> {
  const driver = [process.execPath, join(FIXTURES, "run-all.ts"), JSON.stringify(clients)];
  if ("env" in how) {
    const child = Bun.spawn(driver, { env: { ...process.env, ...how.env }, stdout: "pipe", timeout: 180_000 });
    return JSON.parse(await new Response(child.stdout).text()) as Results;
  }
  const r = await kfwd(["run", how.profile, "--", ...driver], { timeoutMs: 180_000 });
  if (r.code !== 0) throw new Error(`kfwd run failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as Results;
}
