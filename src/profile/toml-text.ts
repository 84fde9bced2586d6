/** Describing and writing TOML values in messages and docs. */
import { TomlDate, type TomlValue } from "smol-toml";

/** Longest user-written name or value quoted whole in a message; longer ones are cut (a message stays readable). */
const MAX_QUOTED = 80;

/** `s`, or its start and its length when it is too long to quote whole. */
export function clip(s: string): string {
  return s.length <= MAX_QUOTED ? s : `${s.slice(0, MAX_QUOTED)}… (${s.length} characters)`;
}

/** How a value reads in an error: `5432 (integer)`, `"abc" (string)`, `a table`. */
export function describeToml(v: TomlValue): string {
  if (typeof v === "string") return `${JSON.stringify(clip(v))} (string)`;
  if (typeof v === "boolean") return `${v} (boolean)`;
  if (typeof v === "number") return `${v} (${Number.isInteger(v) ? "integer" : "float"})`;
  if (typeof v === "bigint") return `${v} (integer)`;
  if (v instanceof TomlDate) return `${v.toISOString()} (date)`;
  if (Array.isArray(v)) return "an array";
  return "a table";
}

/** A value written as TOML source, inline: `"30s"`, `["*"]`, `{ LOG_LEVEL = "debug" }`. */
export function formatToml(v: TomlValue): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
  if (v instanceof TomlDate) return v.toISOString();
  if (Array.isArray(v)) return `[${v.map(formatToml).join(", ")}]`;
  const entries = Object.entries(v).map(([k, x]) => `${formatKey(k)} = ${formatToml(x)}`);
  return entries.length === 0 ? "{}" : `{ ${entries.join(", ")} }`;
}

/** Bare keys stay bare; anything else is quoted. */
export function formatKey(k: string): string {
  return /^[A-Za-z0-9_-]+$/.test(k) ? k : JSON.stringify(k);
}

/** A key path as users see it in errors: `cluster.namespace`, `forward[1].remote`, `env.set."A.B"`. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += (out === "" ? "" : ".") + formatKey(clip(seg));
  }
  return out;
}

export function isTable(v: TomlValue): v is { [key: string]: TomlValue } {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof TomlDate);
}
