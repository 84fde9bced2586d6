/**
 * Network knowledge the host and the agent share, so both say the same thing about the same failure: how a
 * destination is written, and what a socket error means (the host's direct dials, the agent's dials in the pod,
 * and the reset reasons that carry the agent's answer over the wire).
 */
import { ResetReason } from "./constants";

/** "host:port", with brackets around IPv6 literals. */
export function formatHostPort(dest: { host: string; port: number }): string {
  return dest.host.includes(":") ? `[${dest.host}]:${dest.port}` : `${dest.host}:${dest.port}`;
}

/** Stable codes a dial fails with, wherever it was dialled; the proxies turn them into SOCKS5 replies and HTTP statuses. */
export const DIAL_ERROR = {
  refused: "KFWD_DIAL_REFUSED",
  unreachable: "KFWD_DIAL_UNREACHABLE",
  nameNotFound: "KFWD_DIAL_NAME_NOT_FOUND",
  timeout: "KFWD_DIAL_TIMEOUT",
  failed: "KFWD_DIAL_FAILED",
  denied: "KFWD_DIAL_DENIED",
} as const;

export type DialErrorCode = (typeof DIAL_ERROR)[keyof typeof DIAL_ERROR];

/** Socket error code → dial error. Any other EAI_* (getaddrinfo) also means the name did not resolve. */
const ERRNO_TO_DIAL: Readonly<Record<string, DialErrorCode>> = {
  ECONNREFUSED: DIAL_ERROR.refused,
  EHOSTUNREACH: DIAL_ERROR.unreachable,
  ENETUNREACH: DIAL_ERROR.unreachable,
  EHOSTDOWN: DIAL_ERROR.unreachable,
  ENETDOWN: DIAL_ERROR.unreachable,
  EADDRNOTAVAIL: DIAL_ERROR.unreachable,
  ENOTFOUND: DIAL_ERROR.nameNotFound,
  DNS_ENOTFOUND: DIAL_ERROR.nameNotFound,
  ETIMEDOUT: DIAL_ERROR.timeout,
  EACCES: DIAL_ERROR.denied,
  EPERM: DIAL_ERROR.denied,
};

export function dialErrorFromErrno(errno: string | undefined): DialErrorCode {
  if (errno === undefined) return DIAL_ERROR.failed;
  return ERRNO_TO_DIAL[errno] ?? (errno.startsWith("EAI_") ? DIAL_ERROR.nameNotFound : DIAL_ERROR.failed);
}

/** How a dial error travels in a RESET. The protocol has no reason for "denied": it goes as FAILED. */
const DIAL_TO_RESET: Readonly<Record<DialErrorCode, ResetReason>> = {
  [DIAL_ERROR.refused]: ResetReason.REFUSED,
  [DIAL_ERROR.unreachable]: ResetReason.UNREACHABLE,
  [DIAL_ERROR.nameNotFound]: ResetReason.NAME_NOT_FOUND,
  [DIAL_ERROR.timeout]: ResetReason.TIMEOUT,
  [DIAL_ERROR.denied]: ResetReason.FAILED,
  [DIAL_ERROR.failed]: ResetReason.FAILED,
};

/** The reset reason a dial error travels as (to pass a refusal on as one); FAILED for anything else. */
export function resetReasonForDial(error: unknown): ResetReason {
  const code = (error as { code?: unknown } | null)?.code;
  return DIAL_TO_RESET[code as DialErrorCode] ?? ResetReason.FAILED;
}

/** The reset reason the agent sends for a socket error: a failed connect by its dial error, a reset as one. */
export function resetReasonFor(error: unknown): ResetReason {
  const code = (error as { code?: unknown } | null)?.code;
  const errno = typeof code === "string" ? code : undefined;
  if (errno === "ECONNRESET" || errno === "EPIPE") return ResetReason.CONNECTION_RESET;
  return DIAL_TO_RESET[dialErrorFromErrno(errno)];
}

/** The dial error a reset reason stands for (the host's side of DIAL_TO_RESET). */
export function dialErrorFromReset(reason: number): DialErrorCode {
  if (reason === ResetReason.FAILED) return DIAL_ERROR.failed;
  const found = Object.entries(DIAL_TO_RESET).find(([, r]) => r === reason);
  return (found?.[0] as DialErrorCode | undefined) ?? DIAL_ERROR.failed;
}
