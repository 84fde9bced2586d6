/**
 * Every command documents itself: `--help` works on each (exit 0, usage on stdout) and its text is a snapshot,
 * so a change to flags or wording shows up in review. Unknown commands and no command at all are usage errors.
 */
import { expect, test } from "bun:test";
import { kfwd } from "../helpers/kfwd";
import { MIN_PROTOCOL_VERSION, PROTOCOL_VERSION } from "../../wire/version";

const COMMANDS = ["run", "env", "up", "status", "down", "doctor", "clean", "init", "ls", "schema", "completion"];

test("kfwd --help lists every command and no hidden one", async () => {
  const r = await kfwd(["--help"], { env: { NO_COLOR: "1" } });
  expect(r.code).toBe(0);
  for (const c of COMMANDS) expect(r.stdout).toContain(c);
  expect(r.stdout).not.toContain("_session");
  expect(r.stdout).toMatchSnapshot();
});

for (const command of COMMANDS) {
  test(`kfwd ${command} --help`, async () => {
    const r = await kfwd([command, "--help"], { env: { NO_COLOR: "1" } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`kfwd ${command}`);
    expect(r.stdout).not.toContain("\x1b[");
    expect(r.stdout).toMatchSnapshot();
  });
}

test("-h after -- belongs to the command, not to kfwd", async () => {
  const r = await kfwd(["run", "/nonexistent/profile.toml", "--", "curl", "-h"]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain("/nonexistent/profile.toml");
});

test("no command, or an unknown one, is a usage error (exit 2)", async () => {
  expect((await kfwd([])).code).toBe(2);
  const r = await kfwd(["rnu"]);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(`Unknown command "rnu". Did you mean "run"?`);
});

test("--version prints kfwd's version, the wire protocol's, Bun's and the platform", async () => {
  const r = await kfwd(["--version"]);
  expect(r.code).toBe(0);
  const { version } = (await Bun.file(`${import.meta.dir}/../../package.json`).json()) as { version: string };
  expect(r.stdout).toBe(
    `kfwd ${version} (wire protocol ${MIN_PROTOCOL_VERSION}-${PROTOCOL_VERSION}, Bun ${Bun.version}, ${process.platform}-${process.arch})\n`,
  );
});
