/** Shell-style name globs for env variable names: `*` any run, `?` one character; everything else literal. */
export function globToRegExp(glob: string): RegExp {
  let source = "";
  for (const ch of glob) {
    if (ch === "*") source += ".*";
    else if (ch === "?") source += ".";
    else source += ch.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}

export function matchesAny(name: string, globs: readonly RegExp[]): boolean {
  return globs.some((g) => g.test(name));
}
