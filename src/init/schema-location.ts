/**
 * Where `kfwd init`'s `#:schema` directive points: the JSON Schema shipped beside the binary (the npm
 * package's schema/ directory, or the checkout's for a dev build), else a copy kfwd writes into its data
 * directory — so editors validate the profile offline, against the schema of the kfwd that wrote it.
 */
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { profileJsonSchemaText, SCHEMA_FILE } from "../profile/json-schema";

export async function schemaLocation(): Promise<string> {
  const shipped = join(dirname(process.execPath), "..", "schema", SCHEMA_FILE);
  if (existsSync(shipped)) return shipped;
  const data = process.env.XDG_DATA_HOME || join(homedir(), ".local", "share");
  const copy = join(data, "kfwd", SCHEMA_FILE);
  await mkdir(dirname(copy), { recursive: true });
  await writeFile(copy, profileJsonSchemaText());
  return copy;
}
