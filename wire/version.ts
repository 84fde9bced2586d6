/**
 * Protocol versions and capabilities. The rule (docs/wire-protocol.md "Evolving"): both sides send their
 * highest version in HELLO and use min(ours, theirs); a new frame type, flag or field is used only when the
 * settled version (or a named capability) allows it, and each addition gets a named constant here saying
 * since which version it exists.
 */
export const PROTOCOL_VERSION = 3;
/** The oldest version this build can still speak. */
export const MIN_PROTOCOL_VERSION = 1;

/** Version 1: HELLO, OPEN, ACCEPT, DATA(+FIN), WINDOW_UPDATE, RESET, PING, PONG, CALL, REPLY, GOAWAY. */
/** Version 2: OPEN may carry a stream kind after the host (docs/wire-protocol.md §2, §4). */
export const OPEN_KIND_SINCE = 2;
/**
 * Version 3: the opener may send DATA (and FIN) right behind OPEN, before ACCEPT, within the window the
 * peer's HELLO granted; the receiver holds it until it accepts, and drops it with its RESET (§4).
 */
export const EARLY_DATA_SINCE = 3;

/** Capability naming: "call:<method>" says the peer answers that CALL method. */
export function callCapability(method: string): string {
  return `call:${method}`;
}

/** Capability naming: "stream:<kind>" says the peer accepts OPEN of that kind (besides "dial"). */
export function streamCapability(kind: string): string {
  return `stream:${kind}`;
}

export function settleVersion(ours: number, theirs: number): number | undefined {
  const settled = Math.min(ours, theirs);
  return settled >= MIN_PROTOCOL_VERSION ? settled : undefined;
}
