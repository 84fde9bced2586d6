import type { EnvRewrite } from "./pipeline";

/** `kfwd env --explain`: one line per changed variable. Passwords in URLs are masked: this is for reading. */
export function explainRewrites(rewrites: readonly EnvRewrite[]): string {
  if (rewrites.length === 0) return "No variable was rewritten: every value is as the pod (or [env] set) has it.\n";
  return rewrites.map((r) => `${r.name}: ${maskPassword(r.from)} → ${maskPassword(r.to)} (${r.by})\n`).join("");
}

/** "postgres://user:secret@db:5432/x" → "postgres://user:***@db:5432/x". */
export function maskPassword(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/:@\s]*):[^@/\s]*@/i, "$1:***@");
}
