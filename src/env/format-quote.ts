/**
 * Quoting of one value for each output dialect. Each function returns text that the dialect's reader turns
 * back into exactly `value`, whatever it holds: quotes, newlines, `$`, backslashes, any unicode.
 */

/**
 * POSIX sh (bash, zsh, dash): inside single quotes nothing is special, not even a backslash or a newline;
 * a single quote itself ends the quoting, so it is written as '\'' (close, escaped quote, reopen).
 */
export function shQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** fish: inside single quotes only \\ and \' are escapes, so exactly those two characters are escaped. */
export function fishQuote(value: string): string {
  return `'${value.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}

/**
 * PowerShell: a single-quoted string has one escape, a doubled quote. PowerShell also takes the typographic
 * single quotes (U+2018..U+201B) as quote characters, so those are doubled too, or a value holding one
 * would end the string early.
 */
export function powershellQuote(value: string): string {
  return `'${value.replace(/['\u2018\u2019\u201A\u201B]/g, (c) => c + c)}'`;
}

/**
 * Values every env-file reader takes the same way unquoted (python-dotenv, node's dotenv, docker's
 * --env-file, compose): no spaces, quotes, `#`, `$` or backslashes. Anything else is double-quoted.
 */
const DOTENV_PLAIN = /^[A-Za-z0-9_./:@%+,=-]*$/;

/**
 * Unquoted text python-dotenv and node's dotenv both take literally: no line breaks, no `#` (a comment to
 * them), no quote or space at the start (a quoted value, or stripped), no space at the end (stripped).
 */
const DOTENV_UNQUOTED = /^[^\s'"`#][^\r\n#]*(?<!\s)$/;

/**
 * dotenv, in python-dotenv's double-quoted dialect: `\\`, `\"`, `\n` and `\r` are the only escapes written.
 * python-dotenv reads every value back unchanged (load it with interpolate=False if a value holds `${`);
 * node's dotenv unescapes only \n and \r; docker's --env-file does no unquoting at all (see README).
 *
 * One value cannot be quoted: one ending in a backslash. Both dotenv parsers find the end of a quoted value
 * with the pattern "(\\"|[^"])*", which takes the escaped backslash plus the closing quote for an escaped
 * quote. Such a value is written unquoted when that is safe, else undefined: the caller skips it and says why.
 */
export function dotenvQuote(value: string): string | undefined {
  if (DOTENV_PLAIN.test(value)) return value;
  if (value.endsWith("\\")) return DOTENV_UNQUOTED.test(value) ? value : undefined;
  const escaped = value.replace(/[\\"\n\r]/g, (c) => (c === "\n" ? "\\n" : c === "\r" ? "\\r" : `\\${c}`));
  return `"${escaped}"`;
}
