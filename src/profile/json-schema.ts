/**
 * The profile's JSON Schema (draft-07, what Taplo and Even Better TOML read), derived from schema.ts like the
 * reference docs: editors complete and check the same keys, types and values kfwd's own validator does.
 * Checks that need more than one key (at most one target kind) stay kfwd's: the schema covers each key alone.
 */
import type { TomlValue } from "smol-toml";
import { profileSchema } from "./schema";
import type { Field, Schema, Section } from "./schema-kit";

type JsonSchema = Record<string, unknown>;

const NAME = "[a-z0-9]([-a-z0-9.]*[a-z0-9])?";
const HOST_PORT = "^(\\[[^\\]]+\\]|[^:\\[\\]]+):[0-9]{1,5}$";
const stringArray: JsonSchema = { type: "array", items: { type: "string" } };

/** Field type (as the docs name it) → its JSON Schema. A new field type fails here until it is added. */
const BY_TYPE: Record<string, JsonSchema> = {
  string: { type: "string" },
  boolean: { type: "boolean" },
  path: { type: "string", minLength: 1 },
  duration: { type: "string", pattern: "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$" },
  "host:port": { type: "string", pattern: HOST_PORT },
  "port or host:port": {
    anyOf: [
      { type: "integer", minimum: 1, maximum: 65535 },
      { type: "string", pattern: HOST_PORT },
    ],
  },
  "kind/name": { type: "string", pattern: `^(deployment|statefulset|replicaset)/${NAME}$` },
  "array of strings": stringArray,
  "array of paths": stringArray,
  "array of ports": {
    type: "array",
    items: {
      anyOf: [
        { type: "integer", minimum: 1, maximum: 65535 },
        { type: "string", pattern: "^[0-9]{1,5}:[0-9]{1,5}$" },
      ],
    },
  },
  "array of globs": stringArray,
  "array of globs/CIDRs": stringArray,
  "table of strings": { type: "object", additionalProperties: { type: "string" } },
};

function fieldSchema(section: string, key: string, f: Field): JsonSchema {
  const base = BY_TYPE[f.type];
  if (!base) throw new Error(`json-schema.ts: no JSON Schema for field type "${f.type}" (${section}.${key})`);
  const description = plain(f.description);
  return {
    ...base,
    ...(f.values ? { enum: [...f.values] } : {}),
    description,
    markdownDescription: f.description + (f.defaultDoc ? `\n\nDefault: ${f.defaultDoc}.` : ""),
    ...(f.default !== undefined ? { default: f.default } : {}),
    examples: [f.example as TomlValue],
  };
}

function sectionSchema(name: string, section: Section): JsonSchema {
  const fields = Object.entries(section.fields);
  const table: JsonSchema = {
    type: "object",
    description: plain(section.description),
    markdownDescription: section.description,
    additionalProperties: false,
    properties: Object.fromEntries(fields.map(([key, f]) => [key, fieldSchema(name, key, f)])),
  };
  const required = fields.filter(([, f]) => f.presence === "required").map(([key]) => key);
  if (required.length > 0) table.required = required;
  if (section.kind === "table") return table;
  const { description, markdownDescription, ...item } = table;
  return { type: "array", description, markdownDescription, items: item };
}

/** Markdown's backticks are noise in a plain-text hover. */
function plain(markdown: string): string {
  return markdown.replaceAll("`", "");
}

export const SCHEMA_FILE = "kfwd-profile.schema.json";

export function profileJsonSchema(schema: Schema = profileSchema): JsonSchema {
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    title: "kfwd profile",
    description: "A kfwd profile: which cluster, namespace and target a session uses. Reference: docs/profile.md.",
    type: "object",
    additionalProperties: false,
    properties: Object.fromEntries(Object.entries(schema).map(([name, s]) => [name, sectionSchema(name, s)])),
  };
}

/** The file text: stable key order and a trailing newline, so the committed copy diffs cleanly. */
export function profileJsonSchemaText(): string {
  return `${JSON.stringify(profileJsonSchema(), null, 2)}\n`;
}
