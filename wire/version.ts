/**
 * Protocol versions and capabilities. The rule (docs/wire-protocol.md "Evolving"): both sides send their
 * highest version in HELLO and use min(ours, theirs); a new frame type, flag or field is used only when the
 * settled version (or a named capability) allows it, and each addition gets a named constant here saying
 * since which version it exists.
 */
export const PROTOCOL_VERSION = 1;
/** The oldest version this build can still speak. */
export const MIN_PROTOCOL_VERSION = 1;

/** Version 1: HELLO, OPEN, ACCEPT, DATA(+FIN), WINDOW_UPDATE, RESET, PING, PONG, CALL, REPLY, GOAWAY. */
export const V1_BASE = 1;

/** Capability naming: "call:<method>" says the peer answers that CALL method. */
export function callCapability(method: string): string {
  return `call:${method}`;
}

/** Capability: the peer opens streams for incoming connections (agent → client). Not used by version 1 agents. */
export const CAP_INCOMING = "incoming";

export function settleVersion(ours: number, theirs: number): number | undefined {
  const settled = Math.min(ours, theirs);
  return settled >= MIN_PROTOCOL_VERSION ? settled : undefined;
}
