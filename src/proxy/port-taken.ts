/**
 * Why a fixed listen port can be taken now and then: on Linux, ports in the ephemeral range are handed to outgoing
 * connections (a browser's, an IDE's, kfwd's own), and a listener cannot share its port with such a connection.
 * A port below the range stays free unless something listens on it.
 */
import { readFileSync } from "node:fs";

/** This machine's ephemeral port range, where the kernel says it (Linux); undefined elsewhere. */
export function ephemeralRange(): { first: number; last: number } | undefined {
  try {
    const [first, last] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8")
      .trim()
      .split(/\s+/)
      .map(Number);
    return Number.isInteger(first) && Number.isInteger(last) ? { first: first!, last: last! } : undefined;
  } catch {
    return undefined;
  }
}

/** `fix`, and for a port in the ephemeral range, why it may be taken only some of the time. */
export function portTakenHint(port: number, fix: string): string {
  const range = ephemeralRange();
  if (range === undefined || port < range.first || port > range.last) return fix;
  return (
    `${fix} Port ${port} is in this machine's ephemeral range (${range.first}–${range.last}): outgoing ` +
    `connections take those ports at any time, so pick one below ${range.first}.`
  );
}
