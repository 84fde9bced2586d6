/**
 * Writes docs/errors.md from the error registry (src/errors/codes.ts). `--check` only compares and exits 1 when
 * it is out of date (test/errors/docs.test.ts does the same, so CI catches a new code without regenerated docs).
 */
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { renderErrorDocs } from "../src/errors/docs";

const path = fileURLToPath(new URL("../docs/errors.md", import.meta.url));
const wanted = renderErrorDocs();
const current = await readFile(path, "utf8").catch(() => "");
if (current !== wanted) {
  if (process.argv.includes("--check")) {
    console.error(`${path} is out of date: run \`bun run scripts/error-docs.ts\`.`);
    process.exit(1);
  }
  await writeFile(path, wanted);
  console.error(`Wrote ${path}`);
}
