/**
 * The error codes the protocol and the agent raise. Only the names live here, so the agent bundle carries no
 * documentation: each code's meaning and usual fix are in the host's registry (src/errors/codes.ts), which
 * must list every code below (tsc checks it) and from which docs/errors.md is generated.
 */
export const WIRE_ERROR_CODES = [
  "KFWD_WIRE_PROTOCOL",
  "KFWD_WIRE_VERSION",
  "KFWD_WIRE_IDS_EXHAUSTED",
  "KFWD_SESSION_CLOSED",
  "KFWD_CALL_UNSUPPORTED",
  "KFWD_STREAM_UNSUPPORTED",
  "KFWD_STREAM_LIMIT",
  "KFWD_CALL_TOO_LARGE",
  "KFWD_CALL_FAILED",
  "KFWD_LINK_SECRET",
  "KFWD_DIAL_REFUSED",
  "KFWD_DIAL_UNREACHABLE",
  "KFWD_DIAL_NAME_NOT_FOUND",
  "KFWD_DIAL_TIMEOUT",
  "KFWD_DIAL_FAILED",
  "KFWD_DIAL_DENIED",
  "KFWD_RESOLVE_NAME_NOT_FOUND",
  "KFWD_RESOLVE_FAILED",
  "KFWD_PROCESS_ENV_UNREADABLE",
  "KFWD_PROCESS_NOT_FOUND",
  "KFWD_INCOMING_STARTED",
  "KFWD_INCOMING_TAKEN",
  "KFWD_INTERCEPT_TABLE_INVALID",
] as const;

export type WireErrorCode = (typeof WIRE_ERROR_CODES)[number];

const KNOWN: ReadonlySet<string> = new Set(WIRE_ERROR_CODES);

export function isWireErrorCode(code: unknown): code is WireErrorCode {
  return typeof code === "string" && KNOWN.has(code);
}
