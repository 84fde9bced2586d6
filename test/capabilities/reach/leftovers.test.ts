/**
 * The Node/Bun preload's per-session config file lives in the state directory: a session ends by removing it, and
 * one killed before it could (kill -9) has it removed by the next session.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { canMakeNetns, type FakeCluster, startFakeCluster } from "../../helpers/fake-cluster";
import { kfwd, localProfile } from "../../helpers/kfwd";

describe.skipIf(!canMakeNetns())("the preload's config files", () => {
  let cluster: FakeCluster;
  let xdg: string;
  beforeAll(async () => {
    cluster = await startFakeCluster();
    xdg = mkdtempSync(join(tmpdir(), "kfwd-xdg-"));
  });
  afterAll(async () => {
    await cluster?.stop();
    rmSync(xdg, { recursive: true, force: true });
  });
  const configs = (): string[] => readdirSync(join(xdg, "kfwd")).filter((n) => n.includes(".reach-"));

  test("one left by a killed session is removed by the next; the next leaves none of its own", async () => {
    const profile = localProfile(cluster.netns);
    const r = await kfwd(["run", profile, "--", "sh", "-c", `ls "$XDG_RUNTIME_DIR/kfwd"`], {
      env: { XDG_RUNTIME_DIR: xdg },
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\.reach-\d+-[0-9a-f]+/); // there while the command runs
    expect(configs()).toEqual([]);

    // What a session killed with -9 leaves: its pid is gone.
    const orphan = join(xdg, "kfwd", "0123456789.reach-999999999-deadbeef");
    writeFileSync(orphan, "{}", { mode: 0o600 });
    expect((await kfwd(["run", profile, "--", "true"], { env: { XDG_RUNTIME_DIR: xdg } })).code).toBe(0);
    expect(configs()).toEqual([]);
  });
});
