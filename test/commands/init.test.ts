/** `kfwd init` refuses to overwrite a file without --force, before it reads a kubeconfig or asks anything. */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { kfwd, writeProfile } from "../helpers/kfwd";

test("init will not overwrite an existing file without --force", async () => {
  const out = writeProfile("# my profile\n");
  const r = await kfwd(["init", "--out", out, "--target", "none", "--yes"], {
    env: { KUBECONFIG: "/nonexistent/kubeconfig" },
  });
  expect(r.code).toBe(1);
  expect(r.stderr).toContain(`Cannot write "${out}": the file exists`);
  expect(r.stderr).toContain("Pass --force to overwrite it");
  expect(readFileSync(out, "utf8")).toBe("# my profile\n");
});
