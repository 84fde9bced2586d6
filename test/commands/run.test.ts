/**
 * `kfwd run` end to end: the compiled binary, a local agent inside a network namespace that plays the
 * cluster, and real clients that can reach the cluster's services through kfwd and not without it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { canMakeNetns, NAMES, PORTS, startFakeCluster, type FakeCluster } from "../helpers/fake-cluster";
import { kfwd, localProfile, writeProfile } from "../helpers/kfwd";

const clients = join(import.meta.dir, "../fixtures/clients");
const web = `http://${NAMES.web}:${PORTS.http}`;

describe.skipIf(!canMakeNetns())("kfwd run against a local agent in a network namespace", () => {
  let cluster: FakeCluster;
  let profile: string;
  beforeAll(async () => {
    cluster = await startFakeCluster();
    profile = localProfile(cluster.netns);
  });
  afterAll(() => cluster?.stop());

  test("without kfwd, the cluster's names and addresses are out of reach", () => {
    const r = spawnSync("curl", ["-sS", "--max-time", "5", `${web}/hello`], { encoding: "utf8" });
    expect(r.status).not.toBe(0);
  });

  test("curl through the SOCKS proxy (socks5h://, the agent resolves the name)", async () => {
    const r = await kfwd(["run", profile, "--", "sh", "-c", `curl -sS --fail -x "socks5h://$KFWD_SOCKS" ${web}/hello`]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("hello from the cluster");
    expect(r.code).toBe(0);
  });

  test("curl through the HTTP proxy, from the proxy variables alone", async () => {
    const r = await kfwd(["run", profile, "--", "curl", "-sS", "--fail", `${web}/hello`, `${web}/hello`]);
    expect(r.stdout.match(/hello from the cluster/g)?.length).toBe(2);
    expect(r.code).toBe(0);
  });

  test("HTTPS through an HTTP CONNECT tunnel, certificate checked end to end", async () => {
    const r = await kfwd([
      "run",
      profile,
      "--",
      "curl",
      "-sS",
      "--fail",
      "--cacert",
      cluster.caFile,
      `https://${NAMES.tls}:${PORTS.https}/hello`,
    ]);
    expect(r.stdout).toContain("hello from the cluster");
    expect(r.code).toBe(0);
  });

  test("Python's standard library, through the proxy variables", async () => {
    const py = `import urllib.request; print(urllib.request.urlopen("${web}/hello", timeout=10).read().decode())`;
    const r = await kfwd(["run", profile, "--", "python3", "-c", py]);
    expect(r.stdout).toContain("hello from the cluster");
    expect(r.code).toBe(0);
  });

  test("a Node program speaking SOCKS5 to $KFWD_SOCKS", async () => {
    const r = await kfwd([
      "run",
      profile,
      "--",
      "node",
      join(clients, "node-socks.mjs"),
      NAMES.echo,
      String(PORTS.echo),
    ]);
    expect(r.stdout).toContain("echo: ping from node");
    expect(r.code).toBe(0);
  });

  test("500 concurrent connections all complete", async () => {
    const r = await kfwd(["run", profile, "--", process.execPath, join(clients, "concurrent.ts"), NAMES.echo, "500"], {
      timeoutMs: 120_000,
    });
    expect(r.stdout).toContain("500/500 echoed");
    expect(r.code).toBe(0);
  }, 130_000);

  test("1 GiB each way with matching sha256, half-close included", async () => {
    const r = await kfwd(["run", profile, "--", process.execPath, join(clients, "transfer.ts"), String(1 << 30)], {
      timeoutMs: 600_000,
    });
    const digests = JSON.parse(r.stdout) as { want: string; uploaded: string; downloaded: string; bodyBytes: number };
    expect(digests.uploaded).toBe(digests.want);
    expect(digests.downloaded).toBe(digests.want);
    expect(digests.bodyBytes).toBe(1 << 30);
  }, 610_000);

  test("a stalled stream does not delay another", async () => {
    const r = await kfwd(["run", profile, "--", process.execPath, join(clients, "stall.ts")]);
    const { reply, ms } = JSON.parse(r.stdout) as { reply: string; ms: number };
    expect(reply).toBe("still moving");
    expect(ms).toBeLessThan(1000); // a stall would hold it until the 64 MiB drained: forever
  });

  test("garbage and truncated handshakes close that connection; both proxies keep serving", async () => {
    const r = await kfwd(["run", profile, "--", process.execPath, join(clients, "garbage.ts")]);
    const out = JSON.parse(r.stdout) as { outcomes: string[]; echoed: string; http: string };
    expect(out.outcomes.every((o) => o === "closed" || o === "error")).toBe(true);
    expect(out.echoed).toBe("alive");
    expect(out.http).toContain("hello from the cluster");
  });

  test("the command's exit code passes through", async () => {
    expect((await kfwd(["run", profile, "--", "sh", "-c", "exit 7"])).code).toBe(7);
    expect((await kfwd(["run", profile, "--", "true"])).code).toBe(0);
  });

  test("a missing command exits 127 with a clear message", async () => {
    const r = await kfwd(["run", profile, "--", "no-such-program-kfwd"]);
    expect(r.code).toBe(127);
    expect(r.stderr).toContain('Cannot run "no-such-program-kfwd": command not found');
  });

  test("SIGTERM to kfwd reaches the command; kfwd exits with its code and leaves no agent behind", async () => {
    const run = kfwd([
      "run",
      profile,
      "--",
      "sh",
      "-c",
      'trap "echo got-term; exit 42" TERM; echo started; while :; do sleep 0.1; done',
    ]);
    await waitFor(() => run.child.stdout!.readableLength >= 0 && agentPids(cluster.netns).length > 0);
    await Bun.sleep(500);
    run.child.kill("SIGTERM");
    const r = await run;
    expect(r.stdout).toContain("got-term");
    expect(r.code).toBe(42);
    await waitFor(() => agentPids(cluster.netns).length === 0);
  });

  test("kill -9 of kfwd run: the command does not outlive it", async () => {
    const run = kfwd(["run", profile, "--", "sh", "-c", "echo $$; while :; do sleep 0.1; done"]);
    let out = "";
    run.child.stdout!.on("data", (d: string) => (out += d));
    await waitFor(() => /^\d+\n/.test(out));
    const pid = Number.parseInt(out, 10);
    expect(alive(pid)).toBe(true);
    run.child.kill("SIGKILL");
    await waitFor(() => !alive(pid), 5_000);
    await waitFor(() => agentPids(cluster.netns).length === 0);
  });

  test("the command keeps kfwd's child pid: signals and exit codes reach it directly", async () => {
    const run = kfwd([
      "run",
      profile,
      "--",
      "sh",
      "-c",
      "echo $$ $PPID; trap 'exit 9' USR1; while :; do sleep 0.1; done",
    ]);
    let out = "";
    run.child.stdout!.on("data", (d: string) => (out += d));
    await waitFor(() => /^\d+ \d+\n/.test(out));
    expect(out.split(" ")[1]?.trim()).toBe(String(run.child.pid));
    run.child.kill("SIGUSR1");
    expect((await run).code).toBe(9);
  });

  test("a bad profile stops kfwd before anything starts, naming the file, line and key", async () => {
    const bad = writeProfile(`[target]\nlocal = true\n\n[proxy]\nsocks = "127.0.0.1:99999"\n`);
    const r = await kfwd(["run", bad, "--", "true"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${bad}:5`);
    expect(r.stderr).toContain("socks");
  });

  test("a route rule the route table rejects stops kfwd at load, before any agent starts", async () => {
    // The local agent starts as `ip netns exec ...`: an `ip` first on PATH records each start, then runs the real one.
    const bin = mkdtempSync(join(tmpdir(), "kfwd-ip-"));
    const starts = join(bin, "starts");
    const realIp = spawnSync("sh", ["-c", "command -v ip"], { encoding: "utf8" }).stdout.trim();
    writeFileSync(join(bin, "ip"), `#!/bin/sh\necho "$*" >> ${starts}\nexec ${realIp} "$@"\n`, { mode: 0o755 });
    const bad = localProfile(cluster.netns, '\n[proxy]\ndirect = ["::ffff:10.0.0.0/90"]\n');
    const r = await kfwd(["run", bad, "--", "true"], { env: { PATH: `${bin}:${process.env.PATH}` } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${bad}:6:11: proxy.direct[0]`);
    expect(r.stderr).toContain("96..128");
    expect(existsSync(starts)).toBe(false);
  });
});

/** A process that exists and is not a zombie. */
function alive(pid: number): boolean {
  const stat = spawnSync("cat", [`/proc/${pid}/stat`], { encoding: "utf8" }).stdout;
  return stat !== "" && !/^\d+ \(.*\) Z/.test(stat);
}

/** Processes in the namespace other than the cluster's own services: the agents kfwd started. */
function agentPids(netns: string): string[] {
  const pids = spawnSync("ip", ["netns", "pids", netns], { encoding: "utf8" }).stdout.split("\n").filter(Boolean);
  return pids.filter(
    (pid) => !spawnSync("cat", [`/proc/${pid}/cmdline`], { encoding: "utf8" }).stdout.includes("cluster-services"),
  );
}

async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await Bun.sleep(50);
  }
}
