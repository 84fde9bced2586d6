/** Reported in HELLO info so kfwd can tell which agent build answered. Bump with agent changes. */
export const AGENT_VERSION = "0.1.0";
