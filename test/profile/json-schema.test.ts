/**
 * The JSON Schema editors read is the profile schema's output (one source), and Taplo's CLI — the engine of
 * Even Better TOML — accepts every shipped profile against it, rejects a wrong one naming the key, and
 * honours the `#:schema` directive `kfwd init` writes.
 */
import { expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { profileJsonSchemaText, SCHEMA_FILE } from "../../src/profile/json-schema";
import { kfwd } from "../helpers/kfwd";

const root = join(import.meta.dir, "../..");
const schemaPath = join(root, "schema", SCHEMA_FILE);
const TAPLO = join(root, "node_modules/.bin/taplo");

function taplo(args: string[], cwd = root): { code: number; out: string } {
  const r = Bun.spawnSync([TAPLO, "check", ...args], {
    cwd,
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, NO_COLOR: "1" },
  });
  return { code: r.exitCode, out: r.stdout.toString() + r.stderr.toString() };
}

test(`schema/${SCHEMA_FILE} is generated from the schema (run \`bun run scripts/profile-docs.ts\`)`, () => {
  expect(readFileSync(schemaPath, "utf8")).toBe(profileJsonSchemaText());
});

test("kfwd schema prints the same schema", async () => {
  const r = await kfwd(["schema"]);
  expect(r.code).toBe(0);
  expect(r.stdout).toBe(profileJsonSchemaText());
});

test("Taplo validates config.example.toml and every example profile against it", () => {
  const profiles = [
    "config.example.toml",
    ...readdirSync(join(root, "examples"))
      .filter((f) => f.endsWith(".toml"))
      .map((f) => `examples/${f}`),
  ];
  expect(profiles.length).toBeGreaterThan(2);
  const r = taplo(["--schema", `file://${schemaPath}`, ...profiles]);
  expect(r.out).not.toContain("error:");
  expect(r.code).toBe(0);
}, 30_000);

test("Taplo rejects a wrong profile, naming the key and the allowed values", () => {
  const dir = mkdtempSync(join(tmpdir(), "kfwd-schema-"));
  writeFileSync(
    join(dir, "bad.toml"),
    '[cluster]\nnamespce = "shop"\n[agent]\nplacement = "sideways"\nidle_timeout = "soon"\n[[forward]]\nlocal = 70000\n',
  );
  const r = taplo(["--schema", `file://${schemaPath}`, "bad.toml"], dir);
  expect(r.code).not.toBe(0);
  expect(r.out).toContain("'namespce' was unexpected");
  expect(r.out).toContain('"sideways" is not one of ["auto","ephemeral","pod"]');
  expect(r.out).toContain('"soon" does not match');
  expect(r.out).toContain('"remote" is a required property');
}, 30_000);

test("Taplo honours a #:schema directive, as kfwd init writes it", () => {
  const dir = mkdtempSync(join(tmpdir(), "kfwd-schema-"));
  writeFileSync(join(dir, "p.toml"), `#:schema ${schemaPath}\n[agent]\nplacement = "sideways"\n`);
  const r = taplo(["p.toml"], dir);
  expect(r.code).not.toBe(0);
  expect(r.out).toContain('"sideways" is not one of');
}, 30_000);
