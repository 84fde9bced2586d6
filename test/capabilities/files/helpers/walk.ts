import { lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";

/** Every path under `dir` (lstat: links are reported, never followed). */
export function walk(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    out.push(p);
    if (lstatSync(p).isDirectory()) walk(p, out);
  }
  return out;
}
