import { globToRegExp, matchesAny } from "../text/glob";

export interface EnvSelection {
  include: readonly string[];
  exclude: readonly string[];
  set: Readonly<Record<string, string>>;
}

/**
 * The pod's variables the user asked for: kept if a name matches `include` and no `exclude`,
 * then `set` overrides (and may add names the pod does not have).
 */
export function selectEnv(podEnv: Readonly<Record<string, string>>, selection: EnvSelection): Record<string, string> {
  const include = selection.include.map(globToRegExp);
  const exclude = selection.exclude.map(globToRegExp);
  const picked: Record<string, string> = {};
  for (const [name, value] of Object.entries(podEnv)) {
    if (matchesAny(name, include) && !matchesAny(name, exclude)) picked[name] = value;
  }
  return { ...picked, ...selection.set };
}
