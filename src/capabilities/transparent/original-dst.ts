/**
 * The destination a redirected connection was really for. Inside the command's network namespace an iptables
 * REDIRECT rule sends every TCP connection to one local port; the kernel keeps the original destination,
 * which getsockopt(SO_ORIGINAL_DST) returns. Node and Bun expose no such call, so it goes through bun:ffi to
 * libc. Linux only.
 */
import { dlopen, FFIType, ptr } from "bun:ffi";

const SOL_IP = 0;
const SOL_IPV6 = 41;
/** SO_ORIGINAL_DST (linux/netfilter_ipv4.h) and IP6T_SO_ORIGINAL_DST (linux/netfilter_ipv6/ip6_tables.h). */
const SO_ORIGINAL_DST = 80;

let libc: { symbols: { getsockopt: (...args: unknown[]) => number } } | undefined;

function getsockopt(): (fd: number, level: number, name: number, value: Uint8Array, length: Uint32Array) => number {
  libc ??= dlopen("libc.so.6", {
    getsockopt: { args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
  }) as unknown as typeof libc;
  const call = (libc as NonNullable<typeof libc>).symbols.getsockopt;
  return (fd, level, name, value, length) => call(fd, level, name, ptr(value), ptr(length));
}

export interface OriginalDestination {
  host: string;
  port: number;
}

/** The original destination of an accepted, redirected socket, or undefined if it was not redirected. */
export function originalDestination(fd: number, family: "IPv4" | "IPv6"): OriginalDestination | undefined {
  const value = new Uint8Array(28); // sockaddr_in6 is the larger of the two
  const length = new Uint32Array([value.length]);
  const v6 = family === "IPv6";
  if (getsockopt()(fd, v6 ? SOL_IPV6 : SOL_IP, SO_ORIGINAL_DST, value, length) !== 0) return undefined;
  const view = new DataView(value.buffer);
  const port = view.getUint16(2, false);
  if (!v6) return { host: Array.from(value.subarray(4, 8)).join("."), port };
  const groups: string[] = [];
  for (let i = 8; i < 24; i += 2) groups.push(view.getUint16(i, false).toString(16));
  // The URL parser writes an IPv6 address the canonical (shortest) way.
  return { host: new URL(`http://[${groups.join(":")}]/`).hostname.slice(1, -1), port };
}
