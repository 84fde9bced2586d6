/** The state directory and files: private modes, stale detection of processes, and the start lock. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { daemonEnv } from "../../src/session/daemon-spawn";
import { isAlive, tryLock } from "../../src/session/pid";
import {
  listStates,
  readState,
  removeSessionFiles,
  sessionPaths,
  stateDir,
  writeState,
  type SessionState,
} from "../../src/session/state";

let xdg: string;
const saved = process.env.XDG_RUNTIME_DIR;
beforeAll(() => {
  xdg = mkdtempSync(join(tmpdir(), "kfwd-xdg-"));
  process.env.XDG_RUNTIME_DIR = xdg;
});
afterAll(() => {
  if (saved === undefined) delete process.env.XDG_RUNTIME_DIR;
  else process.env.XDG_RUNTIME_DIR = saved;
  rmSync(xdg, { recursive: true, force: true });
});

const sample = (id: string): SessionState => ({
  pid: process.pid,
  profileId: id,
  profilePath: `/p/${id}.toml`,
  target: "local agent",
  loopbackPorts: [1, 2],
  binds: [],
  capabilities: { outgoing: { lines: ["socks5    127.0.0.1:1"], data: { socks: "127.0.0.1:1", http: "127.0.0.1:2" } } },
  startedAt: new Date().toISOString(),
  socket: sessionPaths(id).socket,
  log: sessionPaths(id).log,
});

describe("state directory", () => {
  test("is $XDG_RUNTIME_DIR/kfwd, 0700, and a too-open one is closed again", () => {
    const dir = stateDir();
    expect(dir).toBe(join(xdg, "kfwd"));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    chmodSync(dir, 0o755);
    stateDir();
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  test("without XDG_RUNTIME_DIR: /tmp/kfwd-<uid>", () => {
    const r = spawnSync(
      process.execPath,
      [
        "-e",
        `import { stateDir } from "${join(import.meta.dir, "../../src/session/state.ts")}"; console.log(stateDir())`,
      ],
      { encoding: "utf8", env: { PATH: process.env.PATH ?? "" } },
    );
    expect(r.stdout.trim()).toBe(`/tmp/kfwd-${process.getuid?.()}`);
  });

  test("state files are 0600, written whole, listed, and removed with the socket and log", () => {
    writeState(sample("aaaa"));
    writeState(sample("bbbb"));
    writeFileSync(sessionPaths("aaaa").log, "log");
    expect(statSync(sessionPaths("aaaa").state).mode & 0o777).toBe(0o600);
    expect(readState("aaaa")?.profilePath).toBe("/p/aaaa.toml");
    expect(
      listStates()
        .map((s) => s.profileId)
        .sort(),
    ).toEqual(["aaaa", "bbbb"]);
    removeSessionFiles("aaaa");
    removeSessionFiles("bbbb");
    expect(readdirSync(stateDir())).toEqual([]);
  });

  test("an unreadable state file is dropped", () => {
    writeFileSync(join(stateDir(), "cccc.json"), "{not json");
    expect(listStates()).toEqual([]);
    expect(readdirSync(stateDir())).toEqual([]);
  });
});

describe("processes", () => {
  test("a live pid is alive; an exited one, or a zombie nobody reaps, is not", async () => {
    expect(isAlive(process.pid)).toBe(true);
    expect(isAlive(0)).toBe(false);
    // `sleep 0` exits at once, and its parent (sh, replaced by `sleep 2`) never waits for it: a zombie.
    const parent = spawn("sh", ["-c", "sleep 0 & echo $!; exec sleep 2"], { stdio: ["ignore", "pipe", "ignore"] });
    const zombie = Number.parseInt(
      await new Promise<string>((r) => parent.stdout!.once("data", (d: Buffer) => r(d.toString()))),
      10,
    );
    await Bun.sleep(200);
    expect(readFileSync(`/proc/${zombie}/stat`, "utf8")).toContain(") Z ");
    expect(isAlive(zombie)).toBe(false);
    parent.kill("SIGKILL");
  });

  test("the start lock: one holder; a dead holder's lock is taken over", () => {
    mkdirSync(stateDir(), { recursive: true });
    const path = join(stateDir(), "x.lock");
    const release = tryLock(path);
    expect(release).toBeDefined();
    expect(tryLock(path)).toBeUndefined();
    release?.();
    writeFileSync(path, "999999999");
    const again = tryLock(path);
    expect(again).toBeDefined();
    again?.();
  });
});

describe("the background process's environment", () => {
  test("drops another session's proxy variables, and only in a shell that has them", () => {
    const inSession = {
      PATH: "/bin",
      KFWD_SOCKS: "127.0.0.1:1",
      KFWD_HTTP: "127.0.0.1:2",
      http_proxy: "http://127.0.0.1:2",
      ALL_PROXY: "socks5h://127.0.0.1:1",
      NO_PROXY: "localhost",
    };
    expect(daemonEnv(inSession)).toEqual({ PATH: "/bin" });
    const corporate = { PATH: "/bin", HTTPS_PROXY: "http://proxy.corp:3128" };
    expect(daemonEnv(corporate)).toEqual(corporate);
  });
});
