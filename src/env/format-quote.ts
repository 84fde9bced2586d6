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
 * dotenv, in python-dotenv's double-quoted dialect: `\\`, `\"`, `\n` and `\r` are the only escapes written.
 * python-dotenv reads every value back unchanged (load it with interpolate=False if a value holds `${`);
 * node's dotenv unescapes only \n and \r; docker's --env-file does no unquoting at all (see README).
 */
export function dotenvQuote(value: string): string {
  if (DOTENV_PLAIN.test(value)) return value;
  const escaped = value.replace(/[\\"\n\r]/g, (c) => (c === "\n" ? "\\n" : c === "\r" ? "\\r" : `\\${c}`));
  return `"${escaped}"`;
}
