/**
 * The npm packages `npm run release` packs install and work as a user gets them: a local registry serves
 * the packed tarballs (scripts/local-registry.ts), `npm install -g --prefix <clean dir> <kfwd tgz>` installs
 * the launcher and — chosen by npm from os/cpu — this platform's binary, and the installed `kfwd` runs
 * `kfwd run` on a local target (inside a network namespace "cluster" when root, reaching a service the host
 * cannot). Packs the already built dist/kfwd (--from-build), so it takes seconds.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serveLocalRegistry } from "../../scripts/local-registry";
import { canMakeNetns, type FakeCluster, NAMES, startFakeCluster } from "../helpers/fake-cluster";
import { release, sh } from "./helpers/release";
import { MIN_PROTOCOL_VERSION, PROTOCOL_VERSION } from "../../wire/version";

const host = `${process.platform}-${process.arch}`;
let out: string;
let prefix: string;
let registry: { url: string; stop: () => void };
let cluster: FakeCluster | undefined;

beforeAll(async () => {
  out = release(["--targets", host, "--from-build"]);
  registry = serveLocalRegistry(out);
  prefix = mkdtempSync(join(tmpdir(), "kfwd-prefix-"));
  if (canMakeNetns()) cluster = await startFakeCluster();
}, 120_000);
afterAll(async () => {
  registry?.stop();
  await cluster?.stop();
});

test("the release holds the binary, both packages and their SHA-256 sums", async () => {
  const sums = readFileSync(join(out, "SHA256SUMS"), "utf8");
  for (const f of [`kfwd-${host}`, "kfwd-0.1.0.tgz", `kfwd-${host}-0.1.0.tgz`]) expect(sums).toContain(`  ${f}\n`);
  const check = await sh(["sha256sum", "-c", "SHA256SUMS"], { cwd: out });
  expect(check.stdout).toContain(`kfwd-${host}: OK`);
  expect(check.code).toBe(0);
});

test("npm install -g from a clean prefix gives a kfwd that runs on a local target", async () => {
  const { version } = JSON.parse(readFileSync(join(import.meta.dir, "../../package.json"), "utf8")) as {
    version: string;
  };
  const install = await sh([
    "npm",
    "install",
    "-g",
    "--prefix",
    prefix,
    "--cache",
    join(prefix, ".npm-cache"),
    "--registry",
    registry.url,
    "--no-audit",
    "--no-fund",
    join(out, `kfwd-${version}.tgz`),
  ]);
  expect(install.stderr).not.toContain("ERR");
  expect(install.code).toBe(0);
  const kfwd = join(prefix, "bin", "kfwd");
  const lib = join(prefix, "lib", "node_modules", "kfwd");
  // npm picked this platform's binary and no other.
  expect(existsSync(join(lib, "node_modules", "@kfwd", host, "bin", "kfwd"))).toBe(true);
  expect(existsSync(join(lib, "schema", "kfwd-profile.schema.json"))).toBe(true);
  expect(existsSync(join(lib, "node_modules", "@kfwd", host, "schema", "kfwd-profile.schema.json"))).toBe(true);

  const v = await sh([kfwd, "--version"]);
  expect(v.stdout).toBe(
    `kfwd ${version} (wire protocol ${MIN_PROTOCOL_VERSION}-${PROTOCOL_VERSION}, Bun ${Bun.version}, ${host})\n`,
  );

  const dir = mkdtempSync(join(tmpdir(), "kfwd-installed-"));
  const profile = join(dir, "local.toml");
  writeFileSync(profile, `[target]\nlocal = true\n${cluster ? `netns = "${cluster.netns}"\n` : ""}`);
  const script = cluster ? `curl -sS --max-time 20 http://${NAMES.web}:8080/hello` : 'echo "ALL_PROXY=$ALL_PROXY"';
  const run = await sh([kfwd, "run", profile, "--", "sh", "-c", script]);
  expect(run.stderr).toBe("");
  expect(run.stdout).toMatch(cluster ? /^hello from the cluster/ : /^ALL_PROXY=socks5h:\/\/127\.0\.0\.1:\d+$/m);
  expect(run.code).toBe(0);
  // The launcher passes kfwd's exit code (the command's) through.
  expect((await sh([kfwd, "run", profile, "--", "sh", "-c", "exit 7"])).code).toBe(7);
}, 120_000);
