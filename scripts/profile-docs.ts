/**
 * Writes the profile reference from the schema into docs/profile.md and into README.md (between the
 * profile-reference markers), and the JSON Schema editors read into schema/kfwd-profile.schema.json. `--check` only compares and exits 1 when either is out of date
 * (test/profile/docs.test.ts does the same, so CI catches a schema change without regenerated docs).
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { profileJsonSchemaText, SCHEMA_FILE } from "../src/profile/json-schema";
import { renderProfileDocsPage, renderProfileReference } from "../src/profile/reference";
import { withReadmeReference } from "../src/profile/readme-section";

const docsPath = fileURLToPath(new URL("../docs/profile.md", import.meta.url));
const readmePath = fileURLToPath(new URL("../README.md", import.meta.url));
const schemaPath = fileURLToPath(new URL(`../schema/${SCHEMA_FILE}`, import.meta.url));
const wanted = new Map([
  [schemaPath, profileJsonSchemaText()],
  [docsPath, renderProfileDocsPage()],
  [readmePath, withReadmeReference(await readFile(readmePath, "utf8"), renderProfileReference())],
]);

let stale = false;
for (const [path, text] of wanted) {
  const current = await readFile(path, "utf8").catch(() => "");
  if (current === text) continue;
  if (process.argv.includes("--check")) {
    console.error(`${path} is out of date: run \`bun run scripts/profile-docs.ts\`.`);
    stale = true;
  } else {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
    console.error(`Wrote ${path}`);
  }
}
process.exit(stale ? 1 : 0);
