/**
 * Background sessions end to end with the compiled binary: `up`, `status`, `down`, `run` reusing a session,
 * two profiles side by side, and recovery after the session process is killed with SIGKILL.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { canMakeNetns, NAMES, PORTS, startFakeCluster, type FakeCluster } from "../helpers/fake-cluster";
import { kfwd, localProfile } from "../helpers/kfwd";
import { freePort } from "../helpers/ports";
import type { SessionJson } from "../../src/session/status-text";
import { httpOf, socksOf } from "../helpers/session-json";

const web = `http://${NAMES.web}:${PORTS.http}/hello`;

const alive = (pid: number): boolean =>
  spawnSync("kill", ["-0", String(pid)]).status === 0 &&
  !/\) Z /.test(spawnSync("cat", [`/proc/${pid}/stat`], { encoding: "utf8" }).stdout);

describe.skipIf(!canMakeNetns())("kfwd up / status / down with local agents in a network namespace", () => {
  let cluster: FakeCluster;
  let shop: string;
  let other: string;
  let xdg: string;
  let env: Record<string, string>;
  const status = async (): Promise<SessionJson[]> =>
    JSON.parse((await kfwd(["status", "--json"], { env })).stdout) as SessionJson[];
  /** The state directory's files, less the Node/Bun preload every session shares (it is never removed). */
  const sessionFiles = (): string[] =>
    readdirSync(join(xdg, "kfwd"))
      .filter((f) => f !== "kfwd-preload.cjs")
      .sort();
  const curlThrough = (s: SessionJson): number | null =>
    spawnSync("curl", ["-sS", "--fail", "--max-time", "5", "-x", `socks5h://${socksOf(s)}`, web], { stdio: "ignore" })
      .status;

  beforeAll(async () => {
    cluster = await startFakeCluster();
    shop = localProfile(
      cluster.netns,
      `\n[[forward]]\nlocal = ${await freePort()}\nremote = "${NAMES.echo}:${PORTS.echo}"\nname = "echo"\n`,
    );
    other = localProfile(cluster.netns);
    xdg = mkdtempSync(join(tmpdir(), "kfwd-xdg-"));
    env = { XDG_RUNTIME_DIR: xdg };
  });
  afterAll(async () => {
    await kfwd(["down", "--all"], { env });
    await cluster?.stop();
    rmSync(xdg, { recursive: true, force: true });
  });

  test("up starts a session that outlives the command and says where it runs", async () => {
    const r = await kfwd(["up", shop], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${shop}  up, pid `);
    expect(r.stdout).toMatch(/socks5 +127\.0\.0\.1:\d+/);
    expect(r.stdout).toMatch(/forward +127\.0\.0\.1:\d+ → echo\.shop\.svc\.cluster\.local:9000 \(echo\)/);
    const [s] = await status();
    expect(s?.state).toBe("up");
    expect(curlThrough(s as SessionJson)).toBe(0);
    const files = sessionFiles();
    expect(files).toEqual([
      `${s?.id}.json`,
      `${s?.id}.log`,
      expect.stringMatching(/\.reach-\d+-[0-9a-f]+$/),
      `${s?.id}.sock`,
    ]);
    // The Node/Bun preload is shared by sessions and stays: a shell still holding NODE_OPTIONS must not break.
    expect(statSync(join(xdg, "kfwd", "kfwd-preload.cjs")).mode & 0o777).toBe(0o600);
    expect(statSync(join(xdg, "kfwd", files[2] as string)).mode & 0o777).toBe(0o600);
  });

  test("a second up for the same profile reuses the session", async () => {
    const before = await status();
    const r = await kfwd(["up", shop], { env });
    expect(r.code).toBe(0);
    expect((await status()).map((s) => s.pid)).toEqual(before.map((s) => s.pid));
  });

  test("status shows traffic, RTT and uptime", async () => {
    await Bun.sleep(5500); // the first ping, which measures the RTT, goes out after 5 s
    const [s] = await status();
    expect(s?.bytesSent).toBeGreaterThan(0);
    expect(s?.bytesReceived).toBeGreaterThan(0);
    expect(s?.rttMs).toBeGreaterThan(0);
    expect(s?.uptimeMs).toBeGreaterThan(5000);
    expect(s?.openStreams).toBe(0);
    const text = await kfwd(["status"], { env });
    expect(text.stdout).toMatch(/rtt \d+\.\d ms/);
    expect(text.stdout).toMatch(/traffic +0 open streams, .* sent, .* received/);
  }, 15_000);

  test("run reuses a running session: the child gets its env, nothing is started or stopped", async () => {
    const [s] = await status();
    const r = await kfwd(["run", shop, "--", "sh", "-c", `echo "$KFWD_SOCKS"; curl -sS --fail ${web}`], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(socksOf(s as SessionJson));
    expect(r.stdout).toContain("hello from the cluster");
    const [after] = await status();
    expect(after?.pid).toBe(s?.pid as number);
    expect(after?.state).toBe("up");
  });

  test("two profiles side by side on different ports; down of one leaves the other working", async () => {
    expect((await kfwd(["up", other], { env })).code).toBe(0);
    const both = await status();
    expect(both.length).toBe(2);
    const [a, b] = both as [SessionJson, SessionJson];
    expect(new Set([socksOf(a), httpOf(a), socksOf(b), httpOf(b)]).size).toBe(4);
    expect(curlThrough(a)).toBe(0);
    expect(curlThrough(b)).toBe(0);

    const down = await kfwd(["down", other], { env });
    expect(down.code).toBe(0);
    expect(down.stdout).toContain(`Stopped ${other}`);
    const left = await status();
    expect(left.map((s) => s.profile)).toEqual([shop]);
    expect(curlThrough(left[0] as SessionJson)).toBe(0);
    const gone = both.find((s) => s.profile === other) as SessionJson;
    expect(alive(gone.pid)).toBe(false);
  });

  test("down of a profile with no session says so and lists the running ones", async () => {
    const r = await kfwd(["down", other], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Cannot stop "${other}": no session is running for it`);
    expect(r.stderr).toContain(`Running: ${shop}`);
  });

  test("kill -9 of the session: status reports and cleans it; env starts a fresh one", async () => {
    const [s] = (await status()) as [SessionJson];
    process.kill(s.pid, "SIGKILL");
    await Bun.sleep(100);
    const r = await kfwd(["status"], { env });
    expect(r.stdout).toContain(`${shop}  stale: its process (pid ${s.pid}) is gone; cleaned up`);
    expect(existsSync(join(xdg, "kfwd", `${s.id}.json`))).toBe(false);
    expect(existsSync(join(xdg, "kfwd", `${s.id}.sock`))).toBe(false);
    expect(await status()).toEqual([]);

    const fresh = await kfwd(["env", "--format", "json", shop], { env });
    expect(fresh.code).toBe(0);
    const [t] = (await status()) as [SessionJson];
    expect(t.pid).not.toBe(s.pid);
    expect((JSON.parse(fresh.stdout) as Record<string, string>).KFWD_SOCKS).toBe(socksOf(t));
    expect(curlThrough(t)).toBe(0);
  });

  test("kill -9 then env at once (no status in between) starts fresh too", async () => {
    const [s] = (await status()) as [SessionJson];
    process.kill(s.pid, "SIGKILL");
    await Bun.sleep(100);
    const fresh = await kfwd(["env", shop], { env });
    expect(fresh.code).toBe(0);
    expect(fresh.stdout).toContain("export KFWD_SOCKS=");
    const [t] = (await status()) as [SessionJson];
    expect(t.pid).not.toBe(s.pid);
  });

  test("down --all leaves no process, socket or state file behind", async () => {
    expect((await kfwd(["up", other], { env })).code).toBe(0);
    const before = await status();
    expect(before.length).toBe(2);
    const r = await kfwd(["down", "--all"], { env });
    expect(r.code).toBe(0);
    for (const s of before) expect(alive(s.pid)).toBe(false);
    expect(sessionFiles()).toEqual([]);
    // Only the cluster's own services are left in the namespace: every agent went with its session.
    const pids = spawnSync("ip", ["netns", "pids", cluster.netns], { encoding: "utf8" })
      .stdout.split("\n")
      .filter(Boolean);
    expect(pids.length).toBe(1);
  });

  test("up of a profile whose agent cannot start prints the background process's error and exits non-zero", async () => {
    const broken = localProfile("kfwd-no-such-netns");
    const r = await kfwd(["up", broken], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'Cannot start the local agent in network namespace "kfwd-no-such-netns": it does not exist',
    );
    expect(r.stderr).toContain("hint: Create it with");
    expect(await status()).toEqual([]);
    expect(sessionFiles()).toEqual([]);
  });

  test("three kfwd env at once for a stopped profile start one session, and all get its env", async () => {
    const outs = await Promise.all([1, 2, 3].map(() => kfwd(["env", "--format", "json", other], { env })));
    const socks = outs.map((o) => (JSON.parse(o.stdout) as Record<string, string>).KFWD_SOCKS);
    expect(new Set(socks).size).toBe(1);
    expect((await status()).filter((s) => s.profile === other).length).toBe(1);
  });
});

describe("session commands without a cluster", () => {
  test("every command documents itself", async () => {
    for (const cmd of ["up", "down", "status", "env"]) {
      const r = await kfwd([cmd, "--help"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`kfwd ${cmd}`);
    }
    const env = await kfwd(["env", "--help"]);
    expect(env.stdout).toContain("--format");
    expect(env.stdout).toContain("--unset");
    const root = await kfwd(["--help"]);
    expect(root.stdout).not.toContain("_session");
  });

  test("down with neither a profile nor --all is a usage error", async () => {
    const xdg = mkdtempSync(join(tmpdir(), "kfwd-xdg-"));
    const r = await kfwd(["down"], { env: { XDG_RUNTIME_DIR: xdg } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Cannot stop: name a profile, or give --all");
    const s = await kfwd(["status"], { env: { XDG_RUNTIME_DIR: xdg } });
    expect(s.stdout).toContain("No kfwd sessions are running");
    rmSync(xdg, { recursive: true, force: true });
  });
});
