import type { WireErrorCode } from "./error-codes";

export interface KfwdErrorOptions {
  cause?: unknown;
  /** The process exit code when this error ends kfwd (1 unless a convention says otherwise, e.g. 127). */
  exitCode?: number;
}

/**
 * One error type for everything kfwd reports to a user. `code` is stable (scripts and docs refer to it),
 * `message` says what failed ("Cannot <action> "<value>": <reason>"), `hint` names the fix.
 * The CLI edge prints message + hint for a KfwdError, and a stack only for anything else.
 *
 * This is the one runtime class; construct it through a `KfwdError` typed to a code list: the one below (codes
 * of the protocol and the agent) or the host's in src/errors (every code). Both are this class, so `instanceof`
 * holds for a KfwdError from either side.
 */
export class KfwdErrorBase<Code extends string = string> extends Error {
  override readonly name = "KfwdError";
  /** The process exit code when this error ends kfwd (1 unless a convention says otherwise, e.g. 127). */
  readonly exitCode: number;
  constructor(
    readonly code: Code,
    message: string,
    readonly hint?: string,
    options?: KfwdErrorOptions,
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.exitCode = options?.exitCode ?? 1;
  }
}

/** KfwdErrorBase's constructor with its code narrowed to `Code`: a code not in the list fails to compile. */
export interface KfwdErrorClass<Code extends string> {
  new (code: Code, message: string, hint?: string, options?: KfwdErrorOptions): KfwdErrorBase<Code>;
  readonly prototype: KfwdErrorBase<Code>;
}

/** KfwdError for the protocol and the agent: codes from wire/error-codes.ts. */
export const KfwdError: KfwdErrorClass<WireErrorCode> = KfwdErrorBase;
export type KfwdError = KfwdErrorBase<WireErrorCode>;

export function isKfwdError(e: unknown): e is KfwdError {
  return e instanceof KfwdErrorBase;
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
