/**
 * Unknown flags are errors. citty parses leniently (an unknown `--quite` is simply ignored, so a typo silently
 * changes nothing), so each command's own words — those before "--" — are checked against its declared args
 * before it runs. What follows "--" belongs to the command kfwd starts and is never looked at.
 */
import type { ArgsDef } from "citty";
import { KfwdError } from "../errors";
import { nearest } from "../profile/suggest";

/** How kfwd exits on a usage error (wrong flag, unknown command). */
const USAGE_EXIT = 2;

interface FlagTable {
  /** Every accepted spelling without dashes: names, kebab/camel forms, aliases, `no-` forms of booleans. */
  readonly long: ReadonlySet<string>;
  readonly short: ReadonlySet<string>;
  /** Spellings (long or short) whose value is the next word when not given with "=". */
  readonly takesValue: ReadonlySet<string>;
  /** The names to suggest, as `--help` shows them. */
  readonly shown: readonly string[];
}

export function checkFlags(command: string, args: ArgsDef, rawArgs: readonly string[]): void {
  const table = flagTable(args);
  for (let i = 0; i < rawArgs.length; i++) {
    const word = rawArgs[i] ?? "";
    if (word === "--") return;
    if (!word.startsWith("-") || word === "-") continue;
    if (word.startsWith("--")) {
      const name = word.slice(2).split("=", 1)[0] ?? "";
      if (!table.long.has(name)) throw unknownFlag(command, `--${name}`, name, table);
      if (!word.includes("=") && table.takesValue.has(name)) i++;
      continue;
    }
    // -vq is -v -q; a short flag that takes a value ends the group (-fjson) or takes the next word (-f json).
    const letters = word.slice(1);
    for (let k = 0; k < letters.length; k++) {
      const letter = letters[k] ?? "";
      if (!table.short.has(letter)) throw unknownFlag(command, `-${letter}`, letter, table);
      if (table.takesValue.has(letter)) {
        if (k === letters.length - 1) i++;
        break;
      }
    }
  }
}

function flagTable(args: ArgsDef): FlagTable {
  const long = new Set<string>(["help"]);
  const short = new Set<string>(["h"]);
  const takesValue = new Set<string>();
  const shown: string[] = ["help"];
  for (const [name, def] of Object.entries(args)) {
    if (def.type === "positional") continue;
    shown.push(name);
    const alias = "alias" in def ? def.alias : undefined;
    const aliases = alias === undefined ? [] : Array.isArray(alias) ? alias : [alias];
    const spellings = [name, kebab(name), camel(name), ...aliases];
    for (const s of spellings) {
      (s.length === 1 ? short : long).add(s);
      if (def.type === "string" || def.type === "enum") takesValue.add(s);
      else if (s.length > 1) long.add(`no-${s}`);
    }
  }
  return { long, short, takesValue, shown };
}

function unknownFlag(command: string, flag: string, name: string, table: FlagTable): KfwdError {
  const guess = nearest(name, table.shown);
  const known = table.shown.map((n) => `--${n}`).join(", ");
  return new KfwdError(
    "KFWD_USAGE",
    `Unknown flag "${flag}" for kfwd ${command}.${guess !== undefined ? ` Did you mean "--${guess}"?` : ""}`,
    `Flags of kfwd ${command}: ${known}. Flags for the command kfwd runs go after "--".`,
    { exitCode: USAGE_EXIT },
  );
}

const kebab = (s: string): string => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const camel = (s: string): string => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
