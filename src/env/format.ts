/**
 * The session's environment as text for one consumer: a shell to `eval`, an env file, or JSON. Also the
 * reverse (`--unset`): the text that removes those variables again. Names a dialect cannot hold are skipped
 * and reported, never emitted half-quoted.
 */
import { dotenvQuote, fishQuote, powershellQuote, shQuote } from "./format-quote";

export const ENV_FORMATS = ["sh", "fish", "powershell", "dotenv", "json"] as const;
export type EnvFormat = (typeof ENV_FORMATS)[number];

export interface Skipped {
  name: string;
  reason: string;
}

export interface Formatted {
  text: string;
  skipped: Skipped[];
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** node's dotenv accepts [\w.-]+ as a key; python-dotenv anything but `=`, `#` and spaces. The overlap: */
const DOTENV_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** Variables the shell will not let a script assign: `eval` would print an error for each. */
const READ_ONLY: Partial<Record<EnvFormat, ReadonlySet<string>>> = {
  sh: new Set(["BASHOPTS", "BASH_VERSINFO", "EUID", "PPID", "SHELLOPTS", "UID"]),
  fish: new Set([
    "PWD",
    "SHLVL",
    "_",
    "history",
    "status",
    "version",
    "FISH_VERSION",
    "fish_pid",
    "hostname",
    "pipestatus",
    "fish_kill_signal",
    "status_generation",
    "argv",
  ]),
};

interface Dialect {
  name: RegExp;
  set(name: string, value: string): string;
  /** An env file cannot express "unset": dotenv has none, and `--unset` refuses it. */
  unset?(name: string): string;
}

const DIALECTS: Record<Exclude<EnvFormat, "json">, Dialect> = {
  sh: { name: IDENTIFIER, set: (n, v) => `export ${n}=${shQuote(v)}`, unset: (n) => `unset ${n}` },
  fish: { name: IDENTIFIER, set: (n, v) => `set -gx ${n} ${fishQuote(v)}`, unset: (n) => `set -e ${n}` },
  powershell: {
    name: IDENTIFIER,
    set: (n, v) => `$env:${n} = ${powershellQuote(v)}`,
    unset: (n) => `Remove-Item -ErrorAction SilentlyContinue Env:${n}`,
  },
  dotenv: { name: DOTENV_NAME, set: (n, v) => `${n}=${dotenvQuote(v) ?? ""}` },
};

/** Why `name=value` cannot be written in `format`, or undefined when it can. */
function problem(format: EnvFormat, name: string, value: string | undefined): string | undefined {
  // No environment can hold a NUL: execve would cut the value, and shells reject it outright.
  if (name.includes("\0") || value?.includes("\0")) return "it contains a NUL byte, which no environment can hold";
  if (name === "" || name.includes("=")) return "it is not a valid environment variable name";
  if (format === "json") return undefined;
  if (!DIALECTS[format].name.test(name)) return `it is not a valid variable name for ${format}`;
  if (READ_ONLY[format]?.has(name)) return `${format === "sh" ? "bash" : format} does not let a script set it`;
  if (format === "dotenv" && value !== undefined && dotenvQuote(value) === undefined) {
    return "dotenv readers cannot read back a value that ends in a backslash and also needs quotes (use --format json or sh)";
  }
  return undefined;
}

/** Names in a stable order, so the output is diffable and tests can compare it. */
const sortedNames = (names: Iterable<string>): string[] => [...names].sort();

export function formatEnv(env: Readonly<Record<string, string>>, format: EnvFormat): Formatted {
  const skipped: Skipped[] = [];
  const kept: Array<[string, string]> = [];
  for (const name of sortedNames(Object.keys(env))) {
    const value = env[name] as string;
    const reason = problem(format, name, value);
    if (reason) skipped.push({ name, reason });
    else kept.push([name, value]);
  }
  if (format === "json") return { text: `${JSON.stringify(Object.fromEntries(kept), null, 2)}\n`, skipped };
  const dialect = DIALECTS[format];
  return { text: kept.map(([n, v]) => `${dialect.set(n, v)}\n`).join(""), skipped };
}

/**
 * What undoes `formatEnv`: unset for sh, `set -e` for fish, Remove-Item for PowerShell, and for JSON an
 * object mapping each name to null.
 */
export function formatUnset(names: Iterable<string>, format: Exclude<EnvFormat, "dotenv">): Formatted {
  const skipped: Skipped[] = [];
  const kept: string[] = [];
  for (const name of sortedNames(names)) {
    const reason = problem(format, name, undefined);
    if (reason) skipped.push({ name, reason });
    else kept.push(name);
  }
  if (format === "json")
    return { text: `${JSON.stringify(Object.fromEntries(kept.map((n) => [n, null])), null, 2)}\n`, skipped };
  const unset = DIALECTS[format].unset as (name: string) => string;
  return { text: kept.map((n) => `${unset(n)}\n`).join(""), skipped };
}

export function isEnvFormat(value: string): value is EnvFormat {
  return (ENV_FORMATS as readonly string[]).includes(value);
}
