/**
 * A small declarative schema language for the profile. The schema (schema.ts) is data: every key with its
 * type, default, description, example and checks. Everything else is derived from it — the TypeScript type
 * (SchemaValue below), the validator (read.ts), the reference docs (reference.ts) and the tests that keep
 * config.example.toml honest — so a key cannot exist in one place and be missing in another.
 */
import type { TomlValue } from "smol-toml";

/** How a key behaves when absent: take `default`, stay absent (`optional`), or be an error (`required`). */
export type Presence = "default" | "optional" | "required";

/** Thrown by a field's `read` when a value is wrong; the validator adds file, line and key path. */
export class BadValue extends Error {
  constructor(
    message: string,
    /** How to fix it. When absent the validator shows the field's example. */
    readonly fix?: string,
    /** Where inside the value, e.g. [2] for the third item of an array; the locator points there. */
    readonly at: readonly (string | number)[] = [],
  ) {
    super(message);
  }
}

/** What a field may need beyond its value: paths in a profile are relative to the profile's directory. */
export interface ReadContext {
  readonly dir: string;
}

export interface Field<T = unknown, P extends Presence = Presence> {
  readonly presence: P;
  /** The type as the docs name it: "string", "duration", "array of globs"... */
  readonly type: string;
  readonly description: string;
  /** The TOML value used when the key is absent; it goes through `read` like a written value. */
  readonly default?: TomlValue;
  /** Docs text for a default computed at run time ("the current kubeconfig context"). */
  readonly defaultDoc?: string;
  /** A realistic value: shown in the docs and in the fix of an error about this key. */
  readonly example: TomlValue;
  /** Allowed values, for enums (listed in the docs and in errors). */
  readonly values?: readonly string[];
  /** Checks a raw TOML value and converts it to what the rest of kfwd uses; throws BadValue. */
  readonly read: (raw: TomlValue, ctx: ReadContext) => T;
}

export type Fields = Readonly<Record<string, Field>>;

/** `[name]` is a "table"; `[[name]]` an "array" of tables with the same fields each. */
export interface Section<F extends Fields = Fields, K extends "table" | "array" = "table" | "array"> {
  readonly kind: K;
  readonly description: string;
  readonly fields: F;
}

export type Schema = Readonly<Record<string, Section>>;

// ---- Types derived from a schema ----------------------------------------------------------------------

type Simplify<T> = { [K in keyof T]: T[K] } & {};
type ValueOf<F> = F extends Field<infer T, Presence> ? T : never;
type OptionalKeys<F extends Fields> = { [K in keyof F]: F[K] extends Field<unknown, "optional"> ? K : never }[keyof F];

/** Optional fields become `key?: T` (absent, never `undefined`, matching exactOptionalPropertyTypes). */
export type FieldsValue<F extends Fields> = Simplify<
  { [K in Exclude<keyof F, OptionalKeys<F>>]: ValueOf<F[K]> } & { [K in OptionalKeys<F>]?: ValueOf<F[K]> }
>;

export type SectionValue<S> =
  S extends Section<infer F, infer K> ? (K extends "array" ? FieldsValue<F>[] : FieldsValue<F>) : never;

export type SchemaValue<S extends Schema> = { [K in keyof S]: SectionValue<S[K]> };

// ---- Constructors -------------------------------------------------------------------------------------

export type Meta = { description: string; example: TomlValue; defaultDoc?: string } & (
  | { default: TomlValue }
  | { optional: true }
  | { required: true }
);

type PresenceOf<M> = M extends { optional: true } ? "optional" : M extends { required: true } ? "required" : "default";

function presenceOf(meta: Meta): Presence {
  if ("optional" in meta) return "optional";
  if ("required" in meta) return "required";
  return "default";
}

/** The general constructor; the helpers in fields.ts cover the common types. */
export function field<T, M extends Meta>(
  type: string,
  meta: M,
  read: (raw: TomlValue, ctx: ReadContext) => T,
  values?: readonly string[],
): Field<T, PresenceOf<M>> {
  return {
    presence: presenceOf(meta) as PresenceOf<M>,
    type,
    description: meta.description,
    example: meta.example,
    read,
    ...("default" in meta ? { default: meta.default } : {}),
    ...(meta.defaultDoc !== undefined ? { defaultDoc: meta.defaultDoc } : {}),
    ...(values ? { values } : {}),
  };
}

export function table<F extends Fields>(description: string, fields: F): Section<F, "table"> {
  return { kind: "table", description, fields };
}

export function arrayOfTables<F extends Fields>(description: string, fields: F): Section<F, "array"> {
  return { kind: "array", description, fields };
}
