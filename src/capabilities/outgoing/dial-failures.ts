/**
 * A forward whose cluster end fails (nothing listens, the name does not resolve) fails every connection the
 * same way; the client usually reports only "connection reset". So kfwd says why on stderr, with the agent's
 * reason — once per destination and cause, not once per connection.
 */
import { dialErrorCode } from "../../proxy/dialer";
import type { ForwardSpec } from "./forwards";

export function dialFailureReporter(
  warn: (message: string) => void,
  label: (spec: ForwardSpec) => string = (spec) => (spec.name !== undefined ? ` (${spec.name})` : ""),
): (error: unknown, forward: { spec: ForwardSpec; port: number }) => void {
  const told = new Set<string>();
  return (error, { spec, port }) => {
    const cause = `${spec.to.host}:${spec.to.port} ${dialErrorCode(error)}`;
    if (told.has(cause)) return;
    told.add(cause);
    const why = error instanceof Error ? error.message : String(error);
    warn(`${why} — forward ${spec.listen.host}:${port} → ${spec.to.host}:${spec.to.port}${label(spec)}`);
  };
}
