/** `kfwd clean --help` documents the command and its flags (compiled binary, no colour). */
import { expect, test } from "bun:test";
import { kfwd } from "../helpers/kfwd";

test("clean --help names its scope flags and the owner rule", async () => {
  const r = await kfwd(["clean", "--help"], { env: { NO_COLOR: "1" } });
  expect(r.code).toBe(0);
  expect(r.stdout).toContain("USAGE kfwd clean [OPTIONS]");
  expect(r.stdout).toContain("never another user's");
  for (const flag of [
    "--profile",
    "--context",
    "--namespace",
    "--all-namespaces",
    "--older-than",
    "--dry-run",
    "--json",
  ])
    expect(r.stdout).toContain(flag);
  expect(r.stdout).not.toContain("\x1b[");
});
