/** The profile: a TOML file read into one typed, validated object. Everything public lives here. */
export { loadProfile, parseProfile, targetKey, type Profile } from "./load";
export type { ProxySettings, Target } from "./rules";
export { DEFAULT_AGENT_IMAGE, WORKLOAD_KINDS, profileSchema, type WorkloadKind } from "./schema";
export { parseDuration, parseHostPort, type HostPort, type Milliseconds } from "./values";
export { renderProfileReference } from "./reference";
