/**
 * [files] with a local agent (its own filesystem is "the pod"), through the compiled binary: the copy, links
 * confined to each tree, env paths rewritten, live updates and deletions, and nothing left after `kfwd down`.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KFWD, kfwd as run, writeProfile } from "../../helpers/kfwd";
import { walk } from "./helpers/walk";

const STATE = mkdtempSync(join(tmpdir(), "kfwd-files-state-"));
const kfwd = (args: string[]) => run(args, { env: { XDG_RUNTIME_DIR: STATE } });
const pod = mkdtempSync(join(tmpdir(), "kfwd-files-pod-"));
const config = join(pod, "etc/config");
const outside = join(tmpdir(), `kfwd-outside-${process.pid}`);

async function until(check: () => boolean, ms = 20_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await Bun.sleep(50);
  }
  return false;
}

describe.skipIf(!existsSync(KFWD))("[files] with a local agent", () => {
  let profile: string;
  let root = "";

  beforeAll(async () => {
    // The kubelet's layout: app.yaml -> ..data/app.yaml, ..data -> ..2026_11_26_10_00_00.1
    const version = join(config, "..2026_11_26_10_00_00.1");
    mkdirSync(version, { recursive: true });
    writeFileSync(join(version, "app.yaml"), "a: 1\n");
    writeFileSync(join(version, "key.json"), '{"k":1}');
    symlinkSync("..2026_11_26_10_00_00.1", join(config, "..data"));
    symlinkSync("..data/app.yaml", join(config, "app.yaml"));
    symlinkSync("..data/key.json", join(config, "key.json"));
    // Hostile links.
    symlinkSync("/etc/passwd", join(config, "passwd"));
    symlinkSync("../../..", join(config, "up"));
    symlinkSync("/", join(config, "root"));
    symlinkSync(outside, join(config, "outside"));
    symlinkSync(".", join(config, "loop"));
    writeFileSync(join(config, "app.sock"), "excluded");
    profile = writeProfile(
      `[target]\nlocal = true\n[env]\nset = { CREDS = "${config}/key.json", OTHER = "/nowhere/key.json" }\n` +
        `[files]\npaths = ["${config}"]\nexclude = ["*.sock"]\n`,
    );
    const up = await kfwd(["up", profile]);
    if (up.code !== 0) throw new Error(`kfwd up: ${up.stderr}`);
    const env = JSON.parse((await kfwd(["env", "--format", "json", profile])).stdout) as Record<string, string>;
    root = env.KFWD_ROOT ?? "";
  }, 60_000);

  afterAll(async () => {
    await kfwd(["down", profile]);
    rmSync(pod, { recursive: true, force: true });
    rmSync(STATE, { recursive: true, force: true });
  });

  test("the tree is copied at its own paths under KFWD_ROOT, links inside followed, files 0600 in 0700 dirs", () => {
    expect(readFileSync(join(root, config, "app.yaml"), "utf8")).toBe("a: 1\n");
    expect(readFileSync(join(root, config, "key.json"), "utf8")).toBe('{"k":1}');
    expect(statSync(join(root, config, "key.json")).mode & 0o777).toBe(0o600);
    expect(statSync(join(root, config)).mode & 0o777).toBe(0o700);
    expect(statSync(root).mode & 0o777).toBe(0o700);
    // The kubelet's own versions are not copied twice; excluded names not at all.
    expect(readdirSync(join(root, config)).sort()).toEqual(["app.yaml", "key.json"]);
  });

  test("links to /etc/passwd, ../../.., / and outside write nothing outside KFWD_ROOT, and no link is created", () => {
    expect(existsSync(outside)).toBe(false);
    expect(walk(root).filter((p) => lstatSync(p).isSymbolicLink())).toEqual([]);
  });

  test("values pointing into the copied tree are rewritten to the copy, others left alone; --explain lists it", async () => {
    const env = JSON.parse((await kfwd(["env", "--format", "json", profile])).stdout) as Record<string, string>;
    expect(env.CREDS).toBe(join(root, config, "key.json"));
    expect(env.OTHER).toBe("/nowhere/key.json");
    const explain = await kfwd(["env", "--explain", profile]);
    expect(explain.stdout).toContain(`CREDS: ${config}/key.json → ${root}${config}/key.json (files)`);
  });

  test("a kubelet-style update (..data swapped), a new file and a removed file reach the copy", async () => {
    const next = join(config, "..2026_11_26_10_05_00.2");
    mkdirSync(next);
    writeFileSync(join(next, "app.yaml"), "a: 2\n");
    writeFileSync(join(next, "key.json"), '{"k":2}');
    symlinkSync("..2026_11_26_10_05_00.2", join(config, "..data_tmp"));
    Bun.spawnSync(["mv", "-T", join(config, "..data_tmp"), join(config, "..data")]);
    mkdirSync(join(config, "sub"));
    writeFileSync(join(config, "sub/new.txt"), "new");
    rmSync(join(config, "key.json"));
    const host = (p: string) => join(root, config, p);
    expect(await until(() => existsSync(host("app.yaml")) && readFileSync(host("app.yaml"), "utf8") === "a: 2\n")).toBe(
      true,
    );
    expect(await until(() => existsSync(host("sub/new.txt")))).toBe(true);
    expect(await until(() => !existsSync(host("key.json")))).toBe(true);
    // No temporary file is left behind by the atomic writes.
    expect(walk(root).filter((p) => p.endsWith(".part"))).toEqual([]);
  });

  test("kfwd down removes the copy; a kept copy stays", async () => {
    expect((await kfwd(["down", profile])).code).toBe(0);
    expect(existsSync(root)).toBe(false);
    const dir = join(mkdtempSync(join(tmpdir(), "kfwd-files-keep-")), "copy");
    const kept = writeProfile(`[target]\nlocal = true\n[files]\npaths = ["${config}"]\ndir = "${dir}"\nkeep = true\n`);
    const r = await run(["run", kept, "--", "cat", `${dir}${config}/app.yaml`], { env: { XDG_RUNTIME_DIR: STATE } });
    expect(r.stdout).toBe("a: 2\n");
    expect(readFileSync(`${dir}${config}/app.yaml`, "utf8")).toBe("a: 2\n");
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);
});
