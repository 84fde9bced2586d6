/** Errors of the wire layer and the mapping between reset reasons and KfwdError codes. */
import { KfwdError } from "./kfwd-error";
import { RESET_REASON_NAMES, ResetReason } from "./constants";
import { DIAL_ERROR, type DialErrorCode, dialErrorFromReset, formatHostPort } from "./net";

export function wireProtocolError(reason: string, bytes?: Uint8Array): KfwdError {
  const seen = bytes ? ` (bytes: ${preview(bytes)})` : "";
  return new KfwdError(
    "KFWD_WIRE_PROTOCOL",
    `Cannot decode the agent connection: ${reason}${seen}`,
    "The peer is not a kfwd agent of a compatible version, or something else writes to its stdout.",
  );
}

/** Stray output is often text (a shell error, a banner): show it as text when it is, else as hex. */
function preview(bytes: Uint8Array): string {
  const head = Buffer.from(bytes.subarray(0, 48));
  const printable = head.every((b) => b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127));
  return printable ? JSON.stringify(head.toString("latin1")) : head.toString("hex");
}

const DIAL_HINTS: Readonly<Partial<Record<DialErrorCode, string>>> = {
  [DIAL_ERROR.refused]: "Nothing listens on that port in the cluster; check the Service's targetPort.",
  [DIAL_ERROR.unreachable]: "The pod has no route to that address; check the address and NetworkPolicies.",
  [DIAL_ERROR.nameNotFound]: "The pod's resolver does not know that name; check spelling and namespace (svc.ns).",
  [DIAL_ERROR.timeout]: "The address did not answer; a NetworkPolicy may drop the traffic.",
};

export function resetReasonName(reason: number): string {
  return RESET_REASON_NAMES[reason] ?? `reason ${reason}`;
}

/** A reset reason in words a user knows ("connection refused", "name not found"). */
const DIAL_WORDS: Readonly<Record<number, string>> = {
  [ResetReason.REFUSED]: "connection refused",
  [ResetReason.UNREACHABLE]: "host unreachable",
  [ResetReason.NAME_NOT_FOUND]: "name not found",
  [ResetReason.TIMEOUT]: "timed out",
};

/** Why `Mux.open` failed, as the error the caller sees: the cause in words, then the agent's own message. */
export function dialError(target: { host: string; port: number }, reason: number, message: string): KfwdError {
  const words = DIAL_WORDS[reason] ?? resetReasonName(reason);
  const detail = message && message !== words ? `${words} (${message})` : words;
  const code = dialErrorFromReset(reason);
  return new KfwdError(
    code,
    `Cannot connect to "${formatHostPort(target)}" from the agent: ${detail}`,
    DIAL_HINTS[code],
  );
}

/**
 * A stream the peer reset after it was established. It carries code ECONNRESET on purpose: to whoever pipes
 * the stream into a socket it is exactly a TCP reset, and `isPeerHangup` treats it as a quiet close.
 */
export function streamResetError(
  streamId: number,
  reason: number,
  message: string,
): Error & { code: string; reason: number } {
  const text = `Stream ${streamId} reset by peer: ${resetReasonName(reason)}${message ? ` (${message})` : ""}`;
  return Object.assign(new Error(text), { code: "ECONNRESET", reason });
}

export function sessionClosedError(message: string): KfwdError {
  return new KfwdError("KFWD_SESSION_CLOSED", `Cannot use the agent connection: ${message}`);
}
