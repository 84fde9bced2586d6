/**
 * One error type for everything kfwd reports to a user. `code` is stable (scripts and docs refer to it),
 * `message` says what failed ("Cannot <action> "<value>": <reason>"), `hint` names the fix.
 * The CLI edge prints message + hint for a KfwdError, and a stack only for anything else.
 */
export class KfwdError extends Error {
  override readonly name = "KfwdError";
  /** The process exit code when this error ends kfwd (1 unless a convention says otherwise, e.g. 127). */
  readonly exitCode: number;
  constructor(
    readonly code: string,
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown; exitCode?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.exitCode = options?.exitCode ?? 1;
  }
}

export function isKfwdError(e: unknown): e is KfwdError {
  return e instanceof KfwdError;
}

/** Errors a proxied peer causes by hanging up: normal, never reported as failures. */
const PEER_HANGUP_CODES = new Set([
  "EPIPE",
  "ECONNRESET",
  "ECONNABORTED",
  "ERR_STREAM_PREMATURE_CLOSE",
  "ERR_STREAM_DESTROYED",
]);

export function isPeerHangup(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" && PEER_HANGUP_CODES.has(code);
}
