/**
 * Reads a parsed TOML document against a schema: applies defaults, checks and converts each value, and
 * collects every problem instead of stopping at the first, so one run shows the user everything to fix.
 */
import type { TomlTable, TomlValue } from "smol-toml";
import { BadValue, type Fields, type ReadContext, type Schema, type SchemaValue, type Section } from "./schema-kit";
import { nearest } from "./suggest";
import { clip, describeToml, formatKey, formatToml, isTable } from "./toml-text";

interface Context extends ReadContext {
  homeOf(key: string): string | undefined;
}

export type KeyPath = readonly (string | number)[];

/** One thing wrong with a profile: where (key path), what, and how to fix it. */
export interface Problem {
  readonly path: KeyPath;
  readonly message: string;
  readonly fix?: string;
}

export interface SchemaReading<S extends Schema> {
  value: SchemaValue<S>;
  problems: Problem[];
  /**
   * Arrays of tables that lost entries: an entry missing a required value is left out, so the value's type
   * stays true, but its neighbours' indices no longer match the file; checks that name indices skip these.
   */
  incomplete: Set<string>;
}

export function readSchema<S extends Schema>(schema: S, doc: TomlTable, ctx: ReadContext): SchemaReading<S> {
  const problems: Problem[] = [];
  const incomplete = new Set<string>();
  const out: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(doc)) {
    if (!Object.hasOwn(schema, name)) problems.push(unknownTopLevel(schema, name, raw));
  }
  // A key in the wrong section is a common slip ("namespace" under [target]): name its section.
  const homeOf = (key: string, not: string): string | undefined =>
    Object.keys(schema).find((s) => s !== not && Object.hasOwn(schema[s]?.fields ?? {}, key));
  for (const [name, section] of Object.entries(schema)) {
    const value = readSection(section, name, doc[name], { ...ctx, homeOf: (key) => homeOf(key, name) }, problems);
    if (value === undefined || (Array.isArray(value) && value.includes(undefined))) incomplete.add(name);
    out[name] = Array.isArray(value) ? value.filter((v) => v !== undefined) : (value ?? {});
  }
  // Built key by key from the schema itself, so it has the shape SchemaValue<S> describes.
  return { value: out as SchemaValue<S>, problems, incomplete };
}

function readSection(
  section: Section,
  name: string,
  raw: TomlValue | undefined,
  ctx: Context,
  problems: Problem[],
): unknown {
  if (section.kind === "table") {
    if (raw !== undefined && !isTable(raw)) {
      problems.push({
        path: [name],
        message: `Expected a table, got ${describeToml(raw)}`,
        fix: `Write it as a [${name}] section with keys below it.`,
      });
    }
    return readFields(section.fields, raw !== undefined && isTable(raw) ? raw : {}, [name], ctx, problems);
  }
  if (raw === undefined) return [];
  if (!Array.isArray(raw) || !raw.every(isTable)) {
    problems.push({
      path: [name],
      message: `Expected an array of tables, got ${describeToml(raw)}`,
      fix: `Write one [[${name}]] section per entry.`,
    });
    return [];
  }
  return raw.map((entry, i) => readFields(section.fields, entry, [name, i], ctx, problems));
}

/** The table's values, or undefined when a required one is missing or wrong (the problem is recorded). */
function readFields(
  fields: Fields,
  raw: { [key: string]: TomlValue },
  at: KeyPath,
  ctx: Context,
  problems: Problem[],
): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  let complete = true;
  for (const key of Object.keys(raw)) {
    if (!Object.hasOwn(fields, key)) problems.push(unknownKey(fields, at, key, ctx.homeOf(key)));
  }
  for (const [key, f] of Object.entries(fields)) {
    const path = [...at, key];
    const given = raw[key];
    if (given === undefined) {
      if (f.presence === "required") {
        problems.push({
          path,
          message: `Missing required key "${key}" in ${sectionName(at)}`,
          fix: `Add ${formatKey(key)} = ${formatToml(f.example)}`,
        });
        complete = false;
      } else if (f.default !== undefined) {
        // Defaults are TOML values read like written ones; a default that fails is a bug in the schema.
        out[key] = f.read(f.default, ctx);
      }
      continue;
    }
    try {
      out[key] = f.read(given, ctx);
    } catch (e) {
      if (!(e instanceof BadValue)) throw e;
      const fix = e.fix ?? `For example: ${formatKey(key)} = ${formatToml(f.example)}`;
      problems.push({ path: [...path, ...e.at], message: e.message, fix });
      // Carry on with the default (or without the key) so cross-key checks still see a well-typed value.
      if (f.default !== undefined) out[key] = f.read(f.default, ctx);
      if (f.presence === "required") complete = false;
    }
  }
  return complete ? out : undefined;
}

/** `[cluster]`, `forward[1]` — how the enclosing table reads in a message. */
function sectionName(at: KeyPath): string {
  const [name, index] = at;
  return index === undefined ? `[${String(name)}]` : `[[${String(name)}]] entry ${index}`;
}

function unknownKey(fields: Fields, at: KeyPath, key: string, home: string | undefined): Problem {
  const known = Object.keys(fields);
  const guess = nearest(key, known);
  const fix =
    guess !== undefined
      ? `Did you mean "${guess}"?`
      : home !== undefined
        ? `"${clip(key)}" belongs in [${home}]: move it there.`
        : `Known keys in ${sectionName(at)}: ${known.join(", ")}.`;
  return { path: [...at, key], message: `Unknown key "${clip(key)}" in ${sectionName(at)}`, fix };
}

function unknownTopLevel(schema: Schema, name: string, raw: TomlValue): Problem {
  const sections = Object.keys(schema);
  const what = isTable(raw) || Array.isArray(raw) ? "table" : "key";
  // A key written above every [section] header lands at the top level: say which section it belongs to.
  const home = sections.find((s) => Object.hasOwn(schema[s]?.fields ?? {}, name));
  const guess = nearest(name, sections);
  const fix =
    home !== undefined && what === "key"
      ? `"${clip(name)}" belongs in [${home}]: move it below a [${home}] header.`
      : guess !== undefined
        ? `Did you mean "${guess}"?`
        : `Known sections: ${sections.map((s) => (schema[s]?.kind === "array" ? `[[${s}]]` : `[${s}]`)).join(", ")}.`;
  return { path: [name], message: `Unknown ${what} "${clip(name)}"`, fix };
}
