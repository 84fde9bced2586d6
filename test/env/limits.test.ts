/**
 * Variables exec() cannot take: a clear error naming the variable and the limit before anything starts, for
 * [env] set; a warning and the variable left out, for the pod's own.
 */
import { expect, test } from "bun:test";
import { argumentSpace, fitEnv, MAX_ARG_STRLEN } from "../../src/env/limits";
import { kfwd, writeProfile } from "../helpers/kfwd";
import { ok, problem } from "../helpers/profile";

const big = (bytes: number): string => "x".repeat(bytes);

test("an [env] set value over 128 KiB is a profile error naming the variable, line and limit", () => {
  const line = problem(`[env]\nset = { SMALL = "ok", BIG = "${big(140_000)}" }\n`);
  expect(line).toContain(":2:");
  expect(line).toContain("env.set.BIG");
  expect(line).toContain("BIG=... is 140,005 bytes");
  expect(line).toContain("at most 131,072 (128 KiB");
});

test("a value that fits exactly is accepted", () => {
  // "FIT=" plus the value plus the NUL is exactly the limit.
  expect(ok(`[env]\nset = { FIT = "${big(MAX_ARG_STRLEN - 5)}" }\n`).env.set.FIT).toHaveLength(MAX_ARG_STRLEN - 5);
});

test("kfwd run with a 140 KB [env] set value: a clear error, not a crash, and nothing starts", async () => {
  const profile = writeProfile(`[target]\nlocal = true\n[env]\nset = { BIG = "${big(140_000)}" }\n`);
  const r = await kfwd(["run", profile, "--", "sh", "-c", "echo ran"]);
  expect(r.stderr).not.toContain("unexpected error");
  expect(r.stderr).toContain("env.set.BIG");
  expect(r.stderr).toContain("128 KiB");
  expect(r.stdout).toBe("");
  expect(r.code).toBe(1);
});

test.skipIf(argumentSpace() === undefined)(
  "kfwd run whose whole env is over exec()'s limit: a clear error before anything starts",
  async () => {
    // A profile is at most 1 MiB, so kfwd's own environment supplies most of it.
    const room = argumentSpace() ?? 0;
    const ownCount = Math.ceil((room * 0.65) / 100_000);
    const own = Object.fromEntries(Array.from({ length: ownCount }, (_, i) => [`OWN${i}`, big(100_000)]));
    const setCount = Math.ceil((room - ownCount * 100_000) / 100_000) + 1;
    const set = Array.from({ length: setCount }, (_, i) => `V${i} = "${big(100_000)}"`);
    const profile = writeProfile(`[target]\nlocal = true\n[env.set]\n${set.join("\n")}\n`);
    const r = await kfwd(["run", profile, "--", "sh", "-c", "echo ran"], { env: own });
    expect(r.stderr).not.toContain("unexpected error");
    expect(r.stderr).toContain("its arguments and environment take");
    expect(r.stderr).toContain("[env] exclude");
    expect(r.stdout).toBe("");
    expect(r.code).toBe(1);
  },
);

test("a pod variable over the limit is skipped with a warning; the rest pass", () => {
  const warnings: string[] = [];
  const env = fitEnv({ POD_BIG: big(200_000), POD_OK: "1" }, ["true"], (m) => warnings.push(m));
  expect(env).toEqual({ POD_OK: "1" });
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toContain("Skipped variable POD_BIG");
  expect(warnings[0]).toContain("128 KiB");
});
