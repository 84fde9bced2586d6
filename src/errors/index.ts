/**
 * kfwd's error type, as host code uses it: the same class the protocol and the agent raise (wire/kfwd-error.ts),
 * with its code narrowed to the registry's `ErrorCode` (./codes.ts), so a code not listed there fails to compile.
 */
import { KfwdErrorBase, type KfwdErrorClass } from "../../wire/kfwd-error";
import type { ErrorCode } from "./codes";

export { ERROR_AREAS, ERRORS, type ErrorArea, type ErrorCode, type ErrorInfo, isErrorCode } from "./codes";
export { isPeerHangup } from "../../wire/kfwd-error";

export const KfwdError: KfwdErrorClass<ErrorCode> = KfwdErrorBase;
export type KfwdError = KfwdErrorBase<ErrorCode>;

/** True for every KfwdError, whichever side (host, protocol, agent) raised it. */
export function isKfwdError(e: unknown): e is KfwdError {
  return e instanceof KfwdErrorBase;
}
