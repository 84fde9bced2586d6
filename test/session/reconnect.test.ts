/**
 * A session whose agent is lost reconnects by itself, and `kfwd status` says "reconnecting" while it does.
 * The agent runs in a namespace of this test's own; removing the namespace keeps the session from getting
 * a new agent until it is back, so the "reconnecting" state can be seen without a race.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { canMakeNetns } from "../helpers/fake-cluster";
import { kfwd, localProfile } from "../helpers/kfwd";

const netns = `kfwd-rc${process.pid}`;
const ip = (...args: string[]): void => void spawnSync("ip", args, { stdio: "ignore" });

describe.skipIf(!canMakeNetns())("a session that loses its agent", () => {
  let xdg: string;
  let env: Record<string, string>;
  let profile: string;
  const status = async (): Promise<Array<{ state: string; agent: string; reconnects: number }>> =>
    JSON.parse((await kfwd(["status", "--json"], { env })).stdout) as Array<{
      state: string;
      agent: string;
      reconnects: number;
    }>;
  const until = async (check: () => Promise<boolean>, ms = 10_000): Promise<void> => {
    for (const deadline = Date.now() + ms; !(await check()); await Bun.sleep(100))
      if (Date.now() > deadline) throw new Error("condition not met in time");
  };

  beforeAll(() => {
    ip("netns", "add", netns);
    xdg = mkdtempSync(join(tmpdir(), "kfwd-xdg-"));
    env = { XDG_RUNTIME_DIR: xdg };
    profile = localProfile(netns);
  });
  afterAll(async () => {
    await kfwd(["down", "--all"], { env });
    ip("netns", "del", netns);
    rmSync(xdg, { recursive: true, force: true });
  });

  test("shows reconnecting while the agent cannot be restarted, then up again", async () => {
    expect((await kfwd(["up", profile], { env })).code).toBe(0);
    const [first] = await status();
    expect(first?.state).toBe("up");
    const agentPid = Number(/pid (\d+)$/.exec(first?.agent ?? "")?.[1]);
    ip("netns", "del", netns);
    process.kill(agentPid, "SIGKILL");
    await until(async () => (await status())[0]?.state === "reconnecting");
    const text = await kfwd(["status"], { env });
    expect(text.stdout).toContain(`${profile}  reconnecting`);

    ip("netns", "add", netns);
    await until(async () => (await status())[0]?.state === "up");
    const [back] = await status();
    expect(back?.reconnects).toBe(1);
    expect(back?.agent).not.toBe(first?.agent);
  }, 30_000);
});
