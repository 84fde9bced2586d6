import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { liveClusterSessions, markLive } from "../../src/session/live";
import { stateDir } from "../../src/session/state";

let dir: string;
const saved = process.env.XDG_RUNTIME_DIR;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "kfwd-live-"));
  process.env.XDG_RUNTIME_DIR = dir;
});
afterAll(() => {
  // Assigning undefined would leave the string "undefined" for the test files after this one.
  if (saved === undefined) delete process.env.XDG_RUNTIME_DIR;
  else process.env.XDG_RUNTIME_DIR = saved;
  rmSync(dir, { recursive: true, force: true });
});

test("a running session's mark makes its cluster session live until it is removed", () => {
  const unmark = markLive("abc123");
  expect(liveClusterSessions().has("abc123")).toBe(true);
  unmark();
  expect(liveClusterSessions().has("abc123")).toBe(false);
});

test("the mark of a process that died (kill -9) does not count, and is cleaned away", () => {
  const dead = Bun.spawnSync(["true"]).pid;
  writeFileSync(join(stateDir(), "live", "gone42"), String(dead));
  expect(liveClusterSessions().has("gone42")).toBe(false);
  expect(existsSync(join(stateDir(), "live", "gone42"))).toBe(false);
});
