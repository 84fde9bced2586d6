/** Puts a bench's table into README.md between its markers (`<!-- <name>:start -->` … `<!-- <name>:end -->`). */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export function writeReadmeSection(root: string, name: string, body: string): void {
  const path = join(root, "README.md");
  const text = readFileSync(path, "utf8");
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`README.md has no ${start} … ${end} section`);
  writeFileSync(path, `${text.slice(0, a + start.length)}\n${body.trim()}\n${text.slice(b)}`);
}
