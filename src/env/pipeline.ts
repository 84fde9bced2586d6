/**
 * The command's environment is built in stages, in this order:
 *   select  — the pod's variables by [env] include/exclude, then [env] set (the session does this itself);
 *   rewrite — capabilities change values that point into the cluster (addresses, file paths) to what works
 *             on the host, recording each change for `kfwd env --explain`;
 *   proxy   — capabilities add their own variables (proxy URLs, KFWD_*).
 * Only values that came from the pod or from [env] set are ever rewritten: the host's own environment is the
 * user's, and a later stage's variables are kfwd's.
 */
import { type EnvSelection, selectEnv } from "./select";

export type EnvPhase = "rewrite" | "proxy";
export type EnvOrigin = "pod" | "profile" | "kfwd";

export interface EnvRewrite {
  name: string;
  from: string;
  to: string;
  /** The capability that made the change. */
  by: string;
}

export interface EnvStage {
  readonly phase: EnvPhase;
  apply(draft: EnvDraft): void | Promise<void>;
}

export class EnvDraft {
  readonly rewrites: EnvRewrite[] = [];
  private readonly values = new Map<string, { value: string; origin: EnvOrigin }>();

  /** Variables a rewrite stage may change: those from the pod and from [env] set. */
  rewritable(): Array<[name: string, value: string]> {
    return [...this.values].filter(([, v]) => v.origin !== "kfwd").map(([name, v]) => [name, v.value]);
  }

  get(name: string): string | undefined {
    return this.values.get(name)?.value;
  }

  /** Change a pod or profile value; recorded for --explain. */
  rewrite(name: string, to: string, by: string): void {
    const entry = this.values.get(name);
    if (!entry || entry.origin === "kfwd") throw new Error(`${by}: cannot rewrite ${name}: not a pod or profile value`);
    if (entry.value === to) return;
    this.rewrites.push({ name, from: entry.value, to, by });
    entry.value = to;
  }

  /** Add kfwd's own variable (proxy URLs, KFWD_*); it replaces a pod value of the same name. */
  add(name: string, value: string): void {
    this.values.set(name, { value, origin: "kfwd" });
  }

  set(name: string, value: string, origin: EnvOrigin): void {
    this.values.set(name, { value, origin });
  }

  toRecord(): Record<string, string> {
    return Object.fromEntries([...this.values].map(([name, v]) => [name, v.value]));
  }
}

export interface BuiltEnv {
  env: Record<string, string>;
  rewrites: EnvRewrite[];
}

/** select → every rewrite stage → every proxy stage, each phase in the order the stages are given. */
export async function buildEnv(
  podEnv: Readonly<Record<string, string>>,
  selection: EnvSelection,
  stages: readonly EnvStage[],
): Promise<BuiltEnv> {
  const draft = new EnvDraft();
  const selected = selectEnv(podEnv, { ...selection, set: {} });
  for (const [name, value] of Object.entries(selected)) draft.set(name, value, "pod");
  for (const [name, value] of Object.entries(selection.set)) draft.set(name, value, "profile");
  for (const phase of ["rewrite", "proxy"] as const) {
    for (const stage of stages) if (stage.phase === phase) await stage.apply(draft);
  }
  return { env: draft.toRecord(), rewrites: draft.rewrites };
}
