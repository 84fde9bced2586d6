/**
 * Writes docs/profile.md from the profile schema. `--check` only compares and exits 1 when the file is out
 * of date (test/profile/docs.test.ts does the same, so CI catches a schema change without regenerated docs).
 */
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { renderProfileDocsPage } from "../src/profile/reference";

const target = fileURLToPath(new URL("../docs/profile.md", import.meta.url));
const wanted = renderProfileDocsPage();

if (process.argv.includes("--check")) {
  const current = await readFile(target, "utf8").catch(() => "");
  if (current !== wanted) {
    console.error("docs/profile.md is out of date: run `bun run scripts/profile-docs.ts`.");
    process.exit(1);
  }
} else {
  await writeFile(target, wanted);
  console.error(`Wrote ${target}`);
}
