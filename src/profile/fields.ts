/**
 * Field constructors for the types profiles use. Each checks the TOML type, then the value, and converts it
 * (durations to milliseconds, addresses to HostPort) so the rest of kfwd never re-parses profile strings.
 */
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import type { TomlValue } from "smol-toml";
import { isKfwdError } from "../errors";
import { BadValue, field, type Meta } from "./schema-kit";
import { nearest } from "./suggest";
import { describeToml, isTable } from "./toml-text";
import { parseDuration, parseHostPort, type HostPort, type Milliseconds } from "./values";

/** A reason the value is wrong (string), or undefined when it is fine. */
export type Check<T> = (value: T) => string | undefined;

function expectString(raw: TomlValue, what = "a string"): string {
  if (typeof raw !== "string") throw new BadValue(`Expected ${what}, got ${describeToml(raw)}`);
  return raw;
}

/** Re-throws the value parsers' KfwdErrors as BadValue, keeping their hint as the fix. */
function viaParser<T>(parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (isKfwdError(e)) throw new BadValue(e.message, e.hint);
    throw e;
  }
}

function checked<T>(value: T, check: Check<T> | undefined): T {
  const reason = check?.(value);
  if (reason !== undefined) throw new BadValue(reason);
  return value;
}

export function string<M extends Meta>(meta: M, check?: Check<string>, type = "string") {
  return field(type, meta, (raw) => checked(expectString(raw), check));
}

export function boolean<M extends Meta>(meta: M) {
  return field("boolean", meta, (raw) => {
    if (typeof raw !== "boolean") throw new BadValue(`Expected true or false, got ${describeToml(raw)}`);
    return raw;
  });
}

export function oneOf<const V extends readonly string[], M extends Meta>(values: V, meta: M) {
  const list = values.map((v) => JSON.stringify(v)).join(", ");
  return field(
    "string",
    meta,
    (raw) => {
      const s = expectString(raw, `one of ${list}`);
      if (!values.includes(s)) {
        const guess = nearest(s, values);
        throw new BadValue(
          `${JSON.stringify(s)} is not one of ${list}`,
          guess !== undefined ? `Did you mean "${guess}"?` : `Use one of ${list}.`,
        );
      }
      return s as V[number];
    },
    values,
  );
}

export function duration<M extends Meta>(meta: M) {
  return field(
    "duration",
    meta,
    (raw): Milliseconds => viaParser(() => parseDuration(expectString(raw, 'a duration string like "30s"'))),
  );
}

/** "host:port"; `listen` allows port 0 (pick a free port). */
export function hostPort<M extends Meta>(meta: M, options: { listen?: boolean; check?: Check<HostPort> } = {}) {
  return field("host:port", meta, (raw): HostPort => {
    const text = expectString(raw, 'a "host:port" string');
    return checked(
      viaParser(() => parseHostPort(text, { allowPortZero: options.listen ?? false })),
      options.check,
    );
  });
}

/** A file path; "~/" is the home directory and relative paths start at the profile's directory. */
export function path<M extends Meta>(meta: M) {
  return field("path", meta, (raw, ctx) => {
    const p = expectString(raw, "a path string");
    if (p === "") throw new BadValue("The path is empty");
    if (p === "~" || p.startsWith("~/")) return join(homedir(), p.slice(1));
    return isAbsolute(p) ? p : resolve(ctx.dir, p);
  });
}

export function stringList<M extends Meta>(meta: M, item: Check<string>, type = "array of strings") {
  return field(type, meta, (raw) => {
    if (!Array.isArray(raw)) throw new BadValue(`Expected an array of strings, got ${describeToml(raw)}`);
    return raw.map((x, i) => {
      if (typeof x !== "string")
        throw new BadValue(`Expected strings only, item ${i} is ${describeToml(x)}`, undefined, [i]);
      const s = x;
      const reason = item(s);
      if (reason !== undefined) throw new BadValue(`Item ${i} ${JSON.stringify(s)}: ${reason}`, undefined, [i]);
      return s;
    });
  });
}

/** `value` checks each entry once its key and type are right, throwing BadValue (at [key]) when it is wrong. */
export function stringMap<M extends Meta>(
  meta: M,
  key: Check<string>,
  type = "table of strings",
  value: (k: string, v: string) => void = () => {},
) {
  return field(type, meta, (raw) => {
    if (!isTable(raw)) throw new BadValue(`Expected a table of strings, got ${describeToml(raw)}`);
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(raw)) {
      const reason = key(k);
      if (reason !== undefined) throw new BadValue(`Key ${JSON.stringify(k)}: ${reason}`, undefined, [k]);
      if (typeof v !== "string")
        throw new BadValue(
          `Expected string values, ${JSON.stringify(k)} is ${describeToml(v)}`,
          "Quote the value: numbers and booleans become strings in the environment anyway.",
          [k],
        );
      value(k, v);
      // defineProperty, not assignment: a key named "__proto__" must stay a plain entry.
      Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    }
    return out;
  });
}
