/**
 * The Linux arm64 binary `npm run release` builds runs: under qemu user emulation (Debian's qemu-user, with
 * libc6-arm64-cross for the loader) it prints its version and runs `kfwd run` on a local target — its agent is
 * the arm64 binary again, started by kfwd itself. The kernel finds qemu for arm64 programs through a
 * binfmt_misc handler registered in a user namespace of the test's own (Linux 6.7+), so the machine's handlers
 * are untouched. Skips without qemu-aarch64, the arm64 loader, or user namespaces with their own binfmt_misc.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { release, sh } from "./helpers/release";

const QEMU = Bun.which("qemu-aarch64");
const LD_PREFIX = "/usr/aarch64-linux-gnu";
/** Whether a new user namespace gets a binfmt_misc of its own (it then starts out empty). */
const ownBinfmt = (): boolean =>
  Bun.spawnSync(
    [
      "unshare",
      "--user",
      "--map-root-user",
      "--mount",
      "sh",
      "-c",
      "mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc && test ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64",
    ],
    { stderr: "ignore" },
  ).exitCode === 0;
const usable =
  process.platform === "linux" && QEMU !== null && existsSync(`${LD_PREFIX}/lib/ld-linux-aarch64.so.1`) && ownBinfmt();
if (!usable)
  console.warn("arm64 test skipped: needs qemu-user, libc6-arm64-cross and user namespaces with binfmt_misc");

// ELF, 64-bit, little-endian, machine 0xb7 (AArch64): qemu-binfmt-conf.sh's pattern for aarch64.
const MAGIC = "\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00";
const MASK = "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff";

/** Runs a shell script in a user namespace where arm64 programs start under qemu-aarch64. */
function underQemu(script: string) {
  const setup = `set -e
mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
printf '%s' ':kfwd-aarch64:M::${MAGIC}:${MASK}:${QEMU}:' > /proc/sys/fs/binfmt_misc/register
`;
  return sh(["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", setup + script], {
    env: { QEMU_LD_PREFIX: LD_PREFIX },
  });
}

describe.skipIf(!usable)("the linux-arm64 binary under qemu", () => {
  let binary: string;
  beforeAll(() => {
    binary = join(release(["--targets", "linux-arm64"]), "kfwd-linux-arm64");
  }, 180_000);

  test("is an AArch64 ELF program", async () => {
    const header = new Uint8Array(await Bun.file(binary).slice(0, 20).arrayBuffer());
    expect([...header.slice(0, 4)]).toEqual([0x7f, 0x45, 0x4c, 0x46]);
    expect(header[18]).toBe(0xb7); // e_machine: EM_AARCH64
  });

  test("--version names the arm64 platform", async () => {
    const r = await underQemu(`"${binary}" --version`);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^kfwd \d+\.\d+\.\d+ \(wire protocol \d+-\d+, Bun 1\.\d+\.\d+, linux-arm64\)\n$/);
  }, 60_000);

  test("kfwd run on a local target: the arm64 agent carries a connection", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kfwd-arm64-"));
    writeFileSync(join(dir, "local.toml"), "[target]\nlocal = true\n");
    // A server on a non-loopback address (loopback always goes direct): the agent dials it.
    const server = Bun.serve({
      hostname: "0.0.0.0",
      port: 0,
      fetch: () => new Response("reached through the agent\n"),
    });
    const ip = (await sh(["hostname", "-I"])).stdout.split(" ")[0];
    try {
      const r = await underQemu(
        `"${binary}" run "${dir}/local.toml" -- sh -c 'curl -sS --max-time 30 http://${ip}:${server.port}/; echo "ALL_PROXY=$ALL_PROXY"'`,
      );
      expect(r.stdout).toContain("reached through the agent");
      expect(r.stdout).toMatch(/ALL_PROXY=http:\/\/127\.0\.0\.1:\d+/);
      expect(r.code).toBe(0);
    } finally {
      server.stop(true);
    }
  }, 120_000);
});
