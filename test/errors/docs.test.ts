/**
 * The registry (src/errors/codes.ts) is the one list of error codes: docs/errors.md is its output, every
 * "KFWD_..." literal in the tree is a code in it (or one of kfwd's environment variables), and every code in it
 * is raised somewhere.
 */
import { expect, test } from "bun:test";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { ERRORS, isErrorCode, KfwdError } from "../../src/errors";
import { renderErrorDocs } from "../../src/errors/docs";
import { WIRE_ERROR_CODES } from "../../wire/error-codes";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** KFWD_ names that are environment variables (or their prefix), not error codes. */
const ENVIRONMENT_VARIABLES = new Set([
  "KFWD_DEBUG",
  "KFWD_SOCKS",
  "KFWD_HTTP",
  "KFWD_ROOT", // the host copy of the pod's files (files capability)
  "KFWD_AGENT_", // the prefix of the agent's own settings, below
  "KFWD_AGENT_IDLE_TIMEOUT",
  "KFWD_AGENT_DIAL_TIMEOUT",
  "KFWD_AGENT_ENV_DROP",
  "KFWD_AGENT_ENV_FROM",
  "KFWD_AGENT_WINDOW",
  "KFWD_AGENT_MEMORY_LIMIT", // the agent container's memory limit (downward API): its receive budget
  "KFWD_POD_IP", // the agent pod's own IP (downward API), for incoming traffic
  "KFWD_REACH_CONFIG", // where the Node/Bun preload finds its session
  "KFWD_AGENT_MOUNTS", // the target container's volume mounts, for the files capability
  "KFWD_KEEPER_FIRST_WAIT",
  "KFWD_KEEPER_LINGER",
  "KFWD_PORTFORWARD_PROTOCOL", // spdy or websocket for the port-forward link (default: SPDY, else WebSocket)
  // tests, benchmarks and the lab
  "KFWD_LAB",
  "KFWD_LAB_BUN",
  "KFWD_LAB_CACHE",
  "KFWD_LAB_HOME",
  "KFWD_IMAGE_ENV",
  "KFWD_TEST_MARKER",
  "KFWD_TEST_SKIP_1GIB",
  "KFWD_WRITE_GOLDEN",
  "KFWD_FUZZ_SECONDS",
  "KFWD_FUZZ_ONLY",
  "KFWD_AGENT_PROF",
]);

const SOURCES = ["{src,wire,agent,lab,scripts,bench,test}/**/*.{ts,sh,md}", "*.md", "docs/*.md"];
const PRODUCT_SOURCES = /^(src|wire|agent|lab)\//;

/** file → the KFWD_ names it mentions. */
async function namesInTree(): Promise<Map<string, Set<string>>> {
  const found = new Map<string, Set<string>>();
  for (const pattern of SOURCES) {
    for await (const file of new Bun.Glob(pattern).scan({ cwd: root })) {
      const text = await readFile(`${root}${file}`, "utf8");
      const names = new Set(text.match(/\bKFWD_[A-Z0-9_]+/g) ?? []);
      if (names.size > 0) found.set(file, names);
    }
  }
  return found;
}

test("docs/errors.md is generated from the registry (run `bun run scripts/error-docs.ts`)", async () => {
  expect(await readFile(`${root}docs/errors.md`, "utf8")).toBe(renderErrorDocs());
});

test("every KFWD_ name in the tree is a registered error code or a known environment variable", async () => {
  const unknown: string[] = [];
  for (const [file, names] of await namesInTree())
    for (const name of names)
      if (!isErrorCode(name) && !ENVIRONMENT_VARIABLES.has(name)) unknown.push(`${file}: ${name}`);
  expect(unknown).toEqual([]);
});

test("every registered code is raised somewhere in src/, wire/, agent/ or lab/", async () => {
  const used = new Set<string>();
  for (const [file, names] of await namesInTree())
    if (PRODUCT_SOURCES.test(file) && file !== "src/errors/codes.ts" && file !== "wire/error-codes.ts")
      for (const name of names) used.add(name);
  expect(Object.keys(ERRORS).filter((code) => !used.has(code))).toEqual([]);
});

test("the codes the protocol and the agent raise are registered; only own keys count", () => {
  for (const code of WIRE_ERROR_CODES) expect(isErrorCode(code)).toBe(true);
  expect(isErrorCode("toString")).toBe(false);
});

test("a code outside the registry does not compile at a throw site", () => {
  // @ts-expect-error: not a registered code (tsc fails on this file if KfwdError accepted any string)
  const e = new KfwdError("NOT_REGISTERED", "message");
  expect(e).toBeInstanceOf(KfwdError);
});
