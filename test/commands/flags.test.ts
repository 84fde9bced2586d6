/**
 * Unknown flags are usage errors on every command, naming the nearest known flag; nothing starts. What follows
 * "--" belongs to the command kfwd runs and is never checked.
 */
import { expect, test } from "bun:test";
import { kfwd, writeProfile } from "../helpers/kfwd";

const COMMANDS = ["run", "env", "up", "status", "down", "doctor", "clean"];

for (const command of COMMANDS) {
  test(`kfwd ${command} --bogus-flag is a usage error`, async () => {
    const r = await kfwd([command, "--bogus-flag", "/nonexistent/p.toml", "--", "true"]);
    expect(r.stderr).toContain(`Unknown flag "--bogus-flag" for kfwd ${command}`);
    expect(r.code).toBe(2);
  });
}

test("a misspelt flag names the nearest one, and nothing runs", async () => {
  const profile = writeProfile("[target]\nlocal = true\n");
  const r = await kfwd(["run", "--quite", profile, "--", "sh", "-c", "echo ran"]);
  expect(r.stderr).toContain('Unknown flag "--quite" for kfwd run. Did you mean "--quiet"?');
  expect(r.stdout).not.toContain("ran");
  expect(r.code).toBe(2);
});

test("an unknown short flag, alone or in a group, is an error too", async () => {
  expect((await kfwd(["status", "-x"])).stderr).toContain('Unknown flag "-x" for kfwd status');
  expect((await kfwd(["down", "-qz", "--all"])).stderr).toContain('Unknown flag "-z" for kfwd down');
});

test("known flags in every spelling still work: aliases, --no-, =value, a value that looks like a flag", async () => {
  // These get past flag checking and fail later, on the missing profile (exit 1, not 2).
  for (const args of [
    ["env", "-q", "-f", "json", "/nonexistent/p.toml"],
    ["env", "--format=json", "--no-quiet", "/nonexistent/p.toml"],
    ["env", "-vf", "fish", "/nonexistent/p.toml"],
    ["doctor", "--no-run-check", "--json", "/nonexistent/p.toml"],
    ["clean", "--context", "-odd-name", "--profile", "/nonexistent/p.toml", "--dry-run"],
  ]) {
    const r = await kfwd(args);
    expect(r.stderr).not.toContain("Unknown flag");
    expect(r.stderr).toContain("/nonexistent/p.toml");
    expect(r.code).toBe(1);
  }
});

test("flags after -- belong to the command and are not checked", async () => {
  const r = await kfwd(["run", "/nonexistent/p.toml", "--", "curl", "--bogus-flag", "-Z"]);
  expect(r.stderr).not.toContain("Unknown flag");
  expect(r.stderr).toContain("/nonexistent/p.toml");
  expect(r.code).toBe(1);
});
