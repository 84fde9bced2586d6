/** `kfwd doctor --help` documents the command and its flags (compiled binary, no colour). */
import { expect, test } from "bun:test";
import { kfwd } from "../helpers/kfwd";

test("doctor --help names the checks, --json and --no-run-check", async () => {
  const r = await kfwd(["doctor", "--help"], { env: { NO_COLOR: "1" } });
  expect(r.code).toBe(0);
  expect(r.stdout).toContain("USAGE kfwd doctor [OPTIONS] <PROFILE>");
  expect(r.stdout).toContain("print the Role to grant");
  expect(r.stdout).toMatch(/--json\s+Print one JSON object/);
  expect(r.stdout).toMatch(/--no-run-check\s+Skip the agent image check/);
  expect(r.stdout).not.toContain("\x1b[");
});
