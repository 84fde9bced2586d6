/**
 * What exec() accepts. Linux refuses (E2BIG) any one argument or variable over MAX_ARG_STRLEN bytes, and
 * arguments plus environment over a quarter of the stack limit (at most 6 MiB); a command kfwd cannot start
 * must be an error that names the variable, not a crash, and a pod variable that cannot be passed is skipped.
 */
import { readFileSync } from "node:fs";
import { KfwdError } from "../errors";

/** Linux's limit on one "NAME=value" string, its terminating NUL included: 32 pages of 4 KiB. */
export const MAX_ARG_STRLEN = 128 * 1024;

/** Bytes one variable takes in exec()'s string area: "NAME=value" and its NUL. */
export function variableBytes(name: string, value: string): number {
  return Buffer.byteLength(name) + 1 + Buffer.byteLength(value) + 1;
}

/** Why `name=value` cannot be passed to a command, or undefined when it can. */
export function variableProblem(name: string, value: string): string | undefined {
  const bytes = variableBytes(name, value);
  if (bytes <= MAX_ARG_STRLEN) return undefined;
  return `${name}=... is ${bytes.toLocaleString("en-US")} bytes; a variable may hold at most ${MAX_ARG_STRLEN.toLocaleString("en-US")} (128 KiB, Linux's MAX_ARG_STRLEN, name and "=" included)`;
}

/**
 * The room exec() gives arguments and environment together, strings and pointers included; undefined where
 * it is not known (not Linux). Linux: min(stack soft limit / 4, 6 MiB), at least 128 KiB.
 */
export function argumentSpace(): number | undefined {
  if (process.platform !== "linux") return undefined;
  let stack = Number.POSITIVE_INFINITY;
  try {
    const line = /^Max stack size\s+(\S+)/m.exec(readFileSync("/proc/self/limits", "utf8"));
    if (line?.[1] !== undefined && line[1] !== "unlimited") stack = Number(line[1]);
  } catch {
    return undefined; // no /proc: exec() will say E2BIG itself, which runChild reports.
  }
  return Math.max(MAX_ARG_STRLEN, Math.min(stack / 4, 6 * 1024 * 1024));
}

/** What arguments and environment take of that room: every string with its NUL, and a pointer to each. */
export function argumentBytes(args: readonly string[], env: Readonly<Record<string, string | undefined>>): number {
  let total = 0;
  for (const a of args) total += Buffer.byteLength(a) + 1 + 8;
  for (const [name, value] of Object.entries(env)) if (value !== undefined) total += variableBytes(name, value) + 8;
  return total;
}

/**
 * The env without the variables no command could receive (each named in a warning), checked as a whole against
 * what exec() takes together with `args`: too much is an error that says what to leave out.
 */
export function fitEnv(
  env: Readonly<Record<string, string | undefined>>,
  args: readonly string[],
  warn: (message: string) => void,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    const problem = variableProblem(name, value);
    if (problem !== undefined) warn(`Skipped variable ${name}: ${problem}.`);
    else out[name] = value;
  }
  checkArgumentSpace(args, out);
  return out;
}

/** Throws when `args` and `env` together exceed what exec() takes here. */
export function checkArgumentSpace(args: readonly string[], env: Readonly<Record<string, string | undefined>>): void {
  const room = argumentSpace();
  const used = argumentBytes(args, env);
  if (room === undefined || used <= room) return;
  const largest = Object.entries(env)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .sort((a, b) => variableBytes(...b) - variableBytes(...a))
    .slice(0, 3)
    .map(([name, value]) => `${name} (${variableBytes(name, value).toLocaleString("en-US")} bytes)`);
  throw new KfwdError(
    "KFWD_ENV_TOO_LARGE",
    `Cannot run the command: its arguments and environment take ${used.toLocaleString("en-US")} bytes, more than the ${room.toLocaleString("en-US")} this system allows (a quarter of the stack limit, ulimit -s)`,
    `Leave large variables out with [env] exclude or shorten [env] set; the largest: ${largest.join(", ")}.`,
  );
}
