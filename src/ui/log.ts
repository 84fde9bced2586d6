/**
 * Everything kfwd says goes to stderr; stdout is reserved for results a script reads (env output, --json).
 * Progress is shown on a TTY (or with --verbose) and silent otherwise, so `kfwd run` in CI prints only the
 * child's output. Debug output is switched on per namespace: KFWD_DEBUG=wire,socks (or KFWD_DEBUG=*).
 */
const debugSpec = (process.env.KFWD_DEBUG ?? "")
  .split(",")
  .map((s) => s.trim())
  .filter(Boolean);

export function debugEnabled(namespace: string): boolean {
  return debugSpec.includes("*") || debugSpec.includes(namespace);
}

/** A logger for one debug namespace; a no-op function when that namespace is off, so call sites stay cheap. */
export function debug(namespace: string): (msg: string) => void {
  if (!debugEnabled(namespace)) return () => {};
  return (msg) => process.stderr.write(`kfwd:${namespace} ${msg}\n`);
}

export type Verbosity = "quiet" | "normal" | "verbose";

const useColor = (): boolean => !process.env.NO_COLOR && process.stderr.isTTY === true && process.env.TERM !== "dumb";

const paint = (code: string, text: string): string => (useColor() ? `\x1b[${code}m${text}\x1b[0m` : text);
export const dim = (text: string): string => paint("2", text);
export const bold = (text: string): string => paint("1", text);
export const red = (text: string): string => paint("31", text);
export const yellow = (text: string): string => paint("33", text);

export class Ui {
  private readonly startedAt = performance.now();
  constructor(readonly verbosity: Verbosity = process.stderr.isTTY ? "normal" : "quiet") {}

  /** A start-up phase ("Starting agent"), shown with the time since kfwd started. */
  step(message: string): void {
    if (this.verbosity === "quiet") return;
    const elapsed = ((performance.now() - this.startedAt) / 1000).toFixed(2);
    process.stderr.write(`${dim(`kfwd [${elapsed}s]`)} ${message}\n`);
  }

  info(message: string): void {
    if (this.verbosity !== "quiet") process.stderr.write(`kfwd: ${message}\n`);
  }

  /** Warnings are always printed: they concern something the user should fix. */
  warn(message: string): void {
    process.stderr.write(`${yellow("kfwd: warning:")} ${message}\n`);
  }

  elapsedMs(): number {
    return performance.now() - this.startedAt;
  }
}
