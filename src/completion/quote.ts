/** Quoting for the generated scripts: descriptions come from command definitions and may hold any character. */

/** A single-quoted word for bash, zsh and fish ('\'' ends, escapes and reopens the quote in all three). */
export function shellWord(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** The first sentence of a description, on one line: completion menus show one line per item. */
export function summary(description: string): string {
  const line = description.replace(/\s+/g, " ").trim();
  const cut = line.search(/[.;:]\s/);
  const first = cut > 0 ? line.slice(0, cut) : line;
  // A cut inside parentheses would leave one open: then end before them.
  const open = first.lastIndexOf(" (");
  return open > 0 && !first.slice(open).includes(")") ? first.slice(0, open) : first;
}

/** A single-quoted fish word: inside fish's single quotes, backslash escapes a quote and a backslash. */
export function fishWord(s: string): string {
  return `'${s.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
}
