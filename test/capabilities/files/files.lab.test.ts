/**
 * [files] on the lab, as the restricted user, through the compiled binary: a pod's ConfigMap, Secret and
 * emptyDir reach the host (rewritten env paths, 0600 Secret files), a ConfigMap update follows, a 100 MiB file
 * and 2,000 small files arrive intact, hostile links write nothing outside KFWD_ROOT, and `kfwd down` leaves
 * nothing behind. Placement "pod" says which volumes it cannot read and how to fix it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KFWD, kfwd as run } from "../../helpers/kfwd";
import { labProfile, requireLabOrSkip } from "../../helpers/lab";
import { walk } from "./helpers/walk";
import { CONFIG_V1, createFilesApp, type FilesApp, SECRET_KEY_JSON, TREE_FILES } from "./helpers/files-app";

const lab = requireLabOrSkip();
const name = `kf-${Date.now().toString(36)}`;
const FILES = `[files]\nmounts = ["*"]\npaths = ["/data"]\n`;
// A state directory of its own: no other kfwd on this machine can stop (or list) this test's session.
const STATE = mkdtempSync(join(tmpdir(), "kfwd-files-state-"));
const kfwd = (args: string[], options: { timeoutMs?: number } = {}) =>
  run(args, { ...options, env: { XDG_RUNTIME_DIR: STATE } });

describe.skipIf(!lab || !existsSync(KFWD))("[files] on the lab", () => {
  let app: FilesApp;
  let profile: string;
  let root = "";

  beforeAll(async () => {
    app = await createFilesApp(lab!, name);
    profile = labProfile(lab!, `workload = "deployment/${name}"`, `placement = "ephemeral"\n${FILES}`);
    const up = await kfwd(["up", profile], { timeoutMs: 240_000 });
    if (up.code !== 0) throw new Error(`kfwd up failed: ${up.stderr}`);
  }, 400_000);

  afterAll(async () => {
    if (profile) await kfwd(["down", profile]);
    await app?.remove();
    rmSync(STATE, { recursive: true, force: true });
  });

  test("a host command reads the Secret and the ConfigMap at the rewritten paths; Secret files are 0600", async () => {
    const r = await kfwd(
      [
        "run",
        profile,
        "--",
        "sh",
        "-c",
        'printf "%s\\n" "$KFWD_ROOT" "$GOOGLE_APPLICATION_CREDENTIALS" "$APP_CONFIG"; stat -c %a "$GOOGLE_APPLICATION_CREDENTIALS" "$(dirname "$GOOGLE_APPLICATION_CREDENTIALS")"; cat "$GOOGLE_APPLICATION_CREDENTIALS"; echo; cat "$APP_CONFIG"',
      ],
      { timeoutMs: 60_000 },
    );
    expect(r.code).toBe(0);
    const [kfwdRoot = "", creds, config, fileMode, dirMode, secret, ...rest] = r.stdout.split("\n");
    root = kfwdRoot;
    expect(creds).toBe(`${root}/secrets/key.json`);
    expect(config).toBe(`${root}/etc/config/app.yaml`);
    expect([fileMode, dirMode]).toEqual(["600", "700"]);
    expect(secret).toBe(SECRET_KEY_JSON);
    expect(`${rest.join("\n")}`).toBe(CONFIG_V1);
    // The service-account token (a projected volume) is there too, 0600.
    const token = join(root, "var/run/secrets/kubernetes.io/serviceaccount/token");
    expect(statSync(token).mode & 0o777).toBe(0o600);
    const explain = await kfwd(["env", "--explain", profile]);
    expect(explain.stdout).toContain(
      `GOOGLE_APPLICATION_CREDENTIALS: /secrets/key.json → ${root}/secrets/key.json (files)`,
    );
  }, 90_000);

  test("under --transparent the command reads them at the pod's own paths, which do not exist here", async () => {
    expect(existsSync("/etc/config/app.yaml")).toBe(false);
    const transparentProfile = labProfile(
      lab!,
      `workload = "deployment/${name}"`,
      `placement = "ephemeral"\n${FILES}\n[reach]\ntransparent = true\n`,
    );
    const r = await kfwd(
      ["run", transparentProfile, "--", "sh", "-c", "cat /etc/config/app.yaml; echo; cat /secrets/key.json"],
      {
        timeoutMs: 120_000,
      },
    );
    expect(r.stderr).not.toContain("error");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${CONFIG_V1}\n${SECRET_KEY_JSON}`);
    expect(existsSync("/etc/config/app.yaml")).toBe(false);
  }, 150_000);

  test("a 100 MiB file and a tree of 2,000 small files arrive intact (sha256)", () => {
    const manifest = JSON.parse(readFileSync(join(root, "data/manifest.json"), "utf8")) as Record<string, string>;
    expect(Object.keys(manifest).length).toBe(TREE_FILES + 1);
    let checked = 0;
    for (const [path, sum] of Object.entries(manifest)) {
      const got = createHash("sha256")
        .update(readFileSync(join(root, path)))
        .digest("hex");
      if (got !== sum) throw new Error(`${path}: sha256 ${got}, expected ${sum}`);
      checked++;
    }
    expect(checked).toBe(TREE_FILES + 1);
    expect(statSync(join(root, "data/big.bin")).size).toBe(100 * 1024 * 1024);
  });

  test("links to /etc/passwd, ../../.. and / write nothing outside KFWD_ROOT and are not followed", () => {
    expect(existsSync("/tmp/kfwd-escape")).toBe(false);
    const all = walk(root);
    expect(all.filter((p) => lstatSync(p).isSymbolicLink())).toEqual([]);
    expect(readdirSync(join(root, "data/evil"))).toEqual([]);
    const passwd = readFileSync("/etc/passwd", "utf8");
    for (const p of all)
      if (lstatSync(p).isFile() && statSync(p).size === passwd.length) expect(readFileSync(p, "utf8")).not.toBe(passwd);
  });

  test("a ConfigMap update reaches the host copy after the kubelet puts it in the pod", async () => {
    const next = `greeting: updated ${Date.now()}\n`;
    // The pod's side: one exec that prints the time the kubelet's update becomes visible in the container.
    const inPod = app.exec(
      `const fs=require("fs");const want=${JSON.stringify(next)};const t0=Date.now();` +
        `const i=setInterval(()=>{let s="";try{s=fs.readFileSync("/etc/config/app.yaml","utf8")}catch{}` +
        `if(s===want){console.log(Date.now());clearInterval(i)}else if(Date.now()-t0>170000){console.log("timeout");clearInterval(i)}},20);`,
    );
    await Bun.sleep(1000);
    const patchedAt = Date.now();
    await app.setConfig(next);
    const hostFile = join(root, "etc/config/app.yaml");
    let hostAt = 0;
    while (Date.now() - patchedAt < 180_000) {
      try {
        if (readFileSync(hostFile, "utf8") === next) {
          hostAt = Date.now();
          break;
        }
      } catch {
        // between rename steps: try again
      }
      await Bun.sleep(20);
    }
    const podAt = Number((await inPod).trim());
    console.log(
      `ConfigMap update: in the pod after ${((podAt - patchedAt) / 1000).toFixed(2)} s (kubelet), on the host after ${((hostAt - patchedAt) / 1000).toFixed(2)} s: ${((hostAt - podAt) / 1000).toFixed(2)} s beyond the kubelet`,
    );
    expect(hostAt).toBeGreaterThan(0);
    expect(readFileSync(hostFile, "utf8")).toBe(next);
  }, 200_000);

  test("kfwd down removes the copy", async () => {
    expect(existsSync(root)).toBe(true);
    const r = await kfwd(["down", profile]);
    expect(r.code).toBe(0);
    expect(existsSync(root)).toBe(false);
  }, 60_000);

  test('placement "pod" names the volumes it cannot read, why, and the fix', async () => {
    const podProfile = labProfile(lab!, `workload = "deployment/${name}"`, `placement = "pod"\n${FILES}`);
    const r = await kfwd(["run", podProfile, "--", "sh", "-c", 'ls -A "$KFWD_ROOT" | wc -l'], { timeoutMs: 120_000 });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('/etc/config (configMap volume "config")');
    expect(r.stderr).toContain('/secrets (secret volume "secret")');
    expect(r.stderr).toContain("one pod cannot read another pod's volumes");
    expect(r.stderr).toContain('placement = "ephemeral"');
    expect(r.stdout.trim()).toBe("0");
  }, 150_000);
});
