/**
 * `kfwd env` end to end: the compiled binary starts a background session with a local agent inside a network
 * namespace that plays the cluster; real shells `eval` its output and reach cluster-only names; `--unset`
 * undoes it; hostile values survive every format.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { canMakeNetns, NAMES, PORTS, startFakeCluster, type FakeCluster } from "../helpers/fake-cluster";
import { KFWD, kfwd, localProfile } from "../helpers/kfwd";
import {
  HAS_FISH,
  HAS_PWSH,
  HAS_PYTHON_DOTENV,
  pythonDotenv,
  strictDotenv,
  strictPowershell,
} from "../helpers/env-readers";
import { ODD_VALUES } from "../helpers/odd-values";

const web = `http://${NAMES.web}:${PORTS.http}/hello`;
const oddNames = Object.keys(ODD_VALUES);
/** The values go in through the profile's [env] set; JSON strings are valid TOML basic strings. */
const oddSet = `{ ${Object.entries(ODD_VALUES)
  .map(([k, v]) => `${k} = ${JSON.stringify(v)}`)
  .join(", ")} }`;
// The local target's agent runs as `kfwd` with BUN_BE_BUN=1, and reports its own env as the pod's: left
// in, a shell that evals it would turn every later `kfwd` into `bun`.
const exclude = `["HOSTNAME", "HOME", "PATH", "PWD", "OLDPWD", "SHLVL", "TERM", "USER", "LOGNAME", "SHELL", "TMPDIR", "LD_*", "_", "BUN_BE_BUN"]`;
/** Prints the odd variables (null when unset) and whether curl got through, as JSON. */
const dump = `${process.execPath} -e 'const o={};for(const n of "${oddNames.join(",")}".split(","))o[n]=process.env[n]??null;console.log(JSON.stringify(o))'`;

describe.skipIf(!canMakeNetns())("kfwd env against a local agent in a network namespace", () => {
  let cluster: FakeCluster;
  let profile: string;
  let xdg: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    cluster = await startFakeCluster();
    profile = localProfile(cluster.netns, `\n[env]\nexclude = ${exclude}\nset = ${oddSet}\n`);
    xdg = mkdtempSync(join(tmpdir(), "kfwd-xdg-"));
    env = { XDG_RUNTIME_DIR: xdg };
  });
  afterAll(async () => {
    await kfwd(["down", "--all"], { env });
    await cluster?.stop();
    rmSync(xdg, { recursive: true, force: true });
  });

  const shell = (argv: string[]): { stdout: string; stderr: string; status: number | null } =>
    spawnSync(argv[0] as string, argv.slice(1), {
      encoding: "utf8",
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", XDG_RUNTIME_DIR: xdg },
    });

  test("bash: eval reaches a cluster-only name; --unset removes every variable again", () => {
    const before = shell(["curl", "-sS", "--max-time", "3", web]);
    expect(before.status).not.toBe(0);
    const r = shell([
      "bash",
      "-c",
      `set -e; eval "$(${KFWD} env ${profile})"; curl -sS --fail ${web}; echo; ${dump}; eval "$(${KFWD} env --unset ${profile})"; ${dump}; echo "proxy:\${http_proxy-unset}"`,
    ]);
    expect(r.stderr).toBe("");
    const [hello, set, unset, proxy] = r.stdout.split("\n").filter(Boolean);
    expect(hello).toContain("hello from the cluster");
    expect(JSON.parse(set as string)).toEqual(ODD_VALUES);
    expect(Object.values(JSON.parse(unset as string) as object).every((v) => v === null)).toBe(true);
    expect(proxy).toBe("proxy:unset");
  });

  test.skipIf(!HAS_FISH)("fish: source reaches a cluster-only name; --unset removes every variable again", () => {
    const r = shell([
      "fish",
      "-c",
      `${KFWD} env --format fish ${profile} | source; curl -sS --fail ${web}; echo; ${dump}; ${KFWD} env -f fish --unset ${profile} | source; ${dump}; set -q http_proxy; or echo proxy:unset`,
    ]);
    expect(r.stderr).toBe("");
    const [hello, set, unset, proxy] = r.stdout.split("\n").filter(Boolean);
    expect(hello).toContain("hello from the cluster");
    expect(JSON.parse(set as string)).toEqual(ODD_VALUES);
    expect(Object.values(JSON.parse(unset as string) as object).every((v) => v === null)).toBe(true);
    expect(proxy).toBe("proxy:unset");
  });

  const pick = (all: Record<string, unknown>): Record<string, unknown> =>
    Object.fromEntries(oddNames.map((n) => [n, all[n]]));

  test("json and dotenv (strict parser, and python-dotenv when installed) carry every value unchanged", async () => {
    const json = await kfwd(["env", "--format", "json", profile], { env });
    expect(json.code).toBe(0);
    const all = JSON.parse(json.stdout) as Record<string, string>;
    expect(pick(all)).toEqual(ODD_VALUES);
    expect(all.http_proxy).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(all.ALL_PROXY).toBe(all.http_proxy);

    const dotenv = await kfwd(["env", "--format", "dotenv", profile], { env });
    expect(pick(strictDotenv(dotenv.stdout))).toEqual(ODD_VALUES);
    if (HAS_PYTHON_DOTENV) expect(pick(pythonDotenv(dotenv.stdout))).toEqual(ODD_VALUES);
  });

  test("powershell: by its quoting rules, and in pwsh when installed", async () => {
    const ps = await kfwd(["env", "--format", "powershell", profile], { env });
    expect(pick(strictPowershell(ps.stdout))).toEqual(ODD_VALUES);
    if (HAS_PWSH) {
      const r = shell([
        "pwsh",
        "-NoProfile",
        "-Command",
        `${ps.stdout}\n${oddNames.map((n) => `[Console]::Out.Write([Environment]::GetEnvironmentVariable('${n}'))`).join(";")}`,
      ]);
      expect(r.stdout).toBe(Object.values(ODD_VALUES).join(""));
    }
  });

  test("every call reuses the one session", async () => {
    const status = JSON.parse((await kfwd(["status", "--json"], { env })).stdout) as Array<{ profile: string }>;
    expect(status.map((s) => s.profile)).toEqual([profile]);
  });

  test("an unknown format, and --unset as dotenv, are usage errors", async () => {
    const bad = await kfwd(["env", "--format", "xml", profile], { env });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('Cannot print the env as "xml": unknown format');
    expect(bad.stderr).toContain("sh, fish, powershell, dotenv, json");
    const dotenvUnset = await kfwd(["env", "--unset", "--format", "dotenv", profile], { env });
    expect(dotenvUnset.stderr).toContain("an env file cannot remove variables");
  });
});
