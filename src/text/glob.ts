/**
 * Shell-style globs, the one engine for every pattern kfwd matches (env names, route rules): `*` matches any
 * run of characters (dots included), `?` exactly one; everything else is literal.
 */

/** Case-sensitive: callers that match case-insensitively (host names) lower-case both sides first. */
export function globToRegExp(glob: string): RegExp {
  let source = "";
  for (const ch of glob) {
    if (ch === "*") source += ".*";
    else if (ch === "?") source += ".";
    else source += ch.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}

/** Whether the text holds a wildcard, i.e. is a pattern rather than a name. */
export function isGlob(text: string): boolean {
  return /[*?]/.test(text);
}

/** How many characters a glob pins down exactly: a measure of how specific it is. */
export function literalLength(glob: string): number {
  return glob.replace(/[*?]/g, "").length;
}

export function matchesAny(name: string, globs: readonly RegExp[]): boolean {
  return globs.some((g) => g.test(name));
}
