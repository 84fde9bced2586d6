/** The (host copy, container path) pairs transparent mode binds: only copied trees, parents first. */
import { expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { filesBinds } from "../../../src/capabilities/files/binds";
import type { FilesCapability } from "../../../src/capabilities/files/index";

test("binds name each copied tree once, parents before children, and skip what was not copied", () => {
  const root = mkdtempSync(join(tmpdir(), "kfwd-binds-"));
  mkdirSync(join(root, "etc/config/sub"), { recursive: true });
  mkdirSync(join(root, "secrets"));
  const fake = {
    name: "files",
    binds: () => [
      [join(root, "etc/config/sub"), "/etc/config/sub"],
      [join(root, "secrets"), "/secrets"],
      [join(root, "etc/config"), "/etc/config"],
      [join(root, "data"), "/data"],
    ],
  } as unknown as FilesCapability;
  expect(filesBinds([fake])).toEqual([
    [join(root, "secrets"), "/secrets"],
    [join(root, "etc/config"), "/etc/config"],
    [join(root, "etc/config/sub"), "/etc/config/sub"],
  ]);
  expect(filesBinds([])).toEqual([]);
  rmSync(root, { recursive: true, force: true });
});
