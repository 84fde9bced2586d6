/**
 * What the shell completions know, read from the citty command definitions (src/commands/): commands, their
 * flags (with aliases and `--no-` forms) and what each value or positional argument takes. The bash, zsh and
 * fish scripts are renderings of this, so a new flag completes as soon as it is defined.
 */
import type { ArgDef, ArgsDef, CommandDef } from "citty";

/** What a word completes to: profile files, any file, one of some values, a command (after `--`), or nothing. */
export type ValueKind =
  | { kind: "profile" }
  | { kind: "file" }
  | { kind: "values"; values: readonly string[] }
  | { kind: "none" };

export interface FlagSpec {
  /** "--format", "-f", "--no-run-check". */
  names: string[];
  description: string;
  /** What follows the flag; "none" for a boolean. */
  value: ValueKind | undefined;
}

export interface CommandSpec {
  name: string;
  description: string;
  flags: FlagSpec[];
  /** The first positional argument. */
  positional: ValueKind | undefined;
  /** Takes a command after `--` (run). */
  takesCommand: boolean;
}

/** Flags the root and every command answer (handled by src/main.ts, not citty). */
export const GLOBAL_FLAGS: FlagSpec[] = [{ names: ["--help", "-h"], description: "Show help", value: undefined }];
export const ROOT_FLAGS: FlagSpec[] = [
  ...GLOBAL_FLAGS,
  { names: ["--version", "-V"], description: "Show kfwd's, the protocol's and Bun's versions", value: undefined },
];

const FILE_ARGS = new Set(["kubeconfig", "out"]);
const PROFILE_ARGS = new Set(["profile"]);

function valueKind(name: string, def: ArgDef): ValueKind {
  if (def.type === "enum" && def.options) return { kind: "values", values: def.options };
  const hint = "valueHint" in def ? def.valueHint : undefined;
  if (hint && /^[a-z0-9-]+(\|[a-z0-9-]+)+$/.test(hint)) return { kind: "values", values: hint.split("|") };
  if (PROFILE_ARGS.has(name)) return { kind: "profile" };
  if (FILE_ARGS.has(name)) return { kind: "file" };
  return { kind: "none" };
}

function aliases(def: ArgDef): string[] {
  const a = "alias" in def ? def.alias : undefined;
  return a === undefined ? [] : Array.isArray(a) ? a : [a];
}

function dash(name: string): string {
  return name.length === 1 ? `-${name}` : `--${name}`;
}

export function commandSpec(name: string, cmd: CommandDef<ArgsDef>, takesCommand: boolean): CommandSpec {
  const args = (typeof cmd.args === "object" ? cmd.args : {}) as ArgsDef;
  const meta = typeof cmd.meta === "object" ? cmd.meta : {};
  const flags: FlagSpec[] = [];
  let positional: ValueKind | undefined;
  for (const [argName, def] of Object.entries(args)) {
    if (def.type === "positional") {
      positional ??= valueKind(argName, def);
      continue;
    }
    const description = (def.description ?? "").trim();
    const isBoolean = def.type === "boolean";
    flags.push({
      names: [`--${argName}`, ...aliases(def).map(dash)],
      description,
      value: isBoolean ? undefined : valueKind(argName, def),
    });
    if (isBoolean && (def.default === true || def.negativeDescription)) {
      flags.push({
        names: [`--no-${argName}`],
        description: def.negativeDescription ?? `Not ${description}`,
        value: undefined,
      });
    }
  }
  flags.push(...GLOBAL_FLAGS);
  return { name, description: (meta as { description?: string }).description ?? "", flags, positional, takesCommand };
}
