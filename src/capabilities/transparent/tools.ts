/** Where the system tools transparent mode needs live: PATH, then the sbin directories a user's PATH may lack. */
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

export function findTool(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(delimiter), "/usr/sbin", "/sbin", "/usr/bin", "/bin"];
  for (const dir of dirs) {
    if (!dir) continue;
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {}
  }
  return undefined;
}
