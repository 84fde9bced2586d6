/** The wire protocol: what the host and the agent both import. No CLI dependencies may enter here. */
export { Mux, type MuxOptions, type PeerHello, type IncomingOpen } from "./mux";
export { MuxStream } from "./stream";
export type { CallMap, CallHandlers, CallMethod, ResolvedAddress } from "./calls";
export { ResetReason, FrameType, Flag, MAX_PAYLOAD, DEFAULT_STREAM_WINDOW } from "./constants";
export { PROTOCOL_VERSION, MIN_PROTOCOL_VERSION, callCapability, streamCapability } from "./version";
export { DIAL_KIND, type OpenDestination } from "./payloads";
export type { Transport } from "./transport";
export { resetReasonForDial } from "./net";
export * from "./intercept";
