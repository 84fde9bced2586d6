/** Where a session's proxies listen, as `kfwd status --json` reports them (the outgoing capability's data). */
import type { SessionJson } from "../../src/session/status-text";

export const socksOf = (s: SessionJson): string => String(s.capabilities.outgoing?.socks);
export const httpOf = (s: SessionJson): string => String(s.capabilities.outgoing?.http);
