/**
 * Pathological profiles stay cheap: the file's size is bounded, and so are the "did you mean" search, the
 * key locator and the error output, whatever the input. Each case here used to take seconds to minutes, gigabytes,
 * or megabytes of output.
 */
import { expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { MAX_PROFILE_BYTES } from "../../src/profile/load";
import { nearest } from "../../src/profile/suggest";
import { kfwd, writeProfile } from "../helpers/kfwd";
import { fail } from "../helpers/profile";

/** Just under the size limit, so the content itself is what is tested. */
const NEAR_LIMIT = MAX_PROFILE_BYTES - 100;

test("kfwd run /dev/zero is refused as too large, not read forever", async () => {
  const r = await kfwd(["run", "/dev/zero", "--", "true"], { timeoutMs: 20_000 });
  expect(r.stderr).toContain('Cannot load profile "/dev/zero": it is larger than 1 MiB');
  expect(r.code).toBe(1);
});

test("a profile over 1 MiB is refused with a clear error", async () => {
  const path = writeProfile("");
  writeFileSync(path, `[target]\nlocal = true\n# ${"x".repeat(MAX_PROFILE_BYTES)}\n`);
  const r = await kfwd(["run", path, "--", "true"]);
  expect(r.stderr).toContain("it is larger than 1 MiB");
  expect(r.code).toBe(1);
});

test("a 10 MB word gets no suggestion, at once", () => {
  expect(nearest("k".repeat(10_000_000), ["namespace", "context"])).toBeUndefined();
  expect(nearest("namspace", ["namespace", "context"])).toBe("namespace");
  expect(nearest("idle-timeuot", ["idle_timeout"])).toBe("idle_timeout");
});

test("a huge unknown key name is quoted clipped, and the error stays short", () => {
  const e = fail(`[target]\nlocal = true\n${"k".repeat(NEAR_LIMIT - 40)} = 1\n`);
  expect(e.message).toContain("characters)");
  expect(e.message).toContain(":3:1:");
  expect(e.message.length).toBeLessThan(2_000);
});

test("a key of a quarter of a million dotted segments is located in linear time", () => {
  const segments = Array.from({ length: (NEAR_LIMIT - 60) / 2 }, () => "a").join(".");
  const e = fail(`[target]\nlocal = true\n[env]\n${segments} = 1\n`);
  expect(e.message).toContain(':4:1: env.a: Unknown key "a" in [env]');
}, 20_000);

test("over 100,000 unknown keys: the first 20 are listed, the rest counted", () => {
  let text = "[target]\nlocal = true\n";
  let n = 0;
  while (text.length < NEAR_LIMIT - 20) text += `k${(n++).toString(36)}=1\n`;
  const e = fail(text);
  const lines = e.message.split("\n");
  expect(lines[0]).toContain(`${n} problems`);
  expect(lines[1]).toContain(':3:1: target.k0: Unknown key "k0"');
  expect(lines).toHaveLength(1 + 20 + 1);
  expect(lines[21]).toContain(`...and ${n - 20} more`);
  expect(n).toBeGreaterThan(100_000);
});

test("a TOML syntax error on a megabyte-long line does not print the line", () => {
  const e = fail(`[target]\nlocal = true\n[env]\nx = ${"[".repeat(NEAR_LIMIT / 2 - 30)}\n`);
  expect(e.message).toContain("it is not valid TOML");
  expect(e.message.length).toBeLessThan(2_000);
});

test("a huge value is quoted clipped", () => {
  const e = fail(`[proxy]\nsocks = "${"x".repeat(NEAR_LIMIT - 30)}"\n`);
  expect(e.message).toContain("proxy.socks");
  expect(e.message.length).toBeLessThan(2_000);
});
