/** IP literals and CIDR blocks as bytes, for route matching. IPv4-mapped IPv6 (::ffff:a.b.c.d) counts as IPv4. */
import { isIPv4, isIPv6 } from "node:net";

export interface Cidr {
  /** 4 bytes (IPv4) or 16 (IPv6), host bits cleared. */
  bytes: Uint8Array;
  prefix: number;
}

function parseIpv4(s: string): Uint8Array | undefined {
  if (!isIPv4(s)) return undefined;
  return Uint8Array.from(s.split(".").map(Number));
}

function parseIpv6(s: string): Uint8Array | undefined {
  if (!isIPv6(s)) return undefined;
  // A trailing dotted quad becomes two hex groups, so only the "::" expansion is left to do.
  const lastColon = s.lastIndexOf(":");
  const tail = s.slice(lastColon + 1);
  if (tail.includes(".")) {
    const v4 = parseIpv4(tail);
    if (v4 === undefined) return undefined;
    s = `${s.slice(0, lastColon + 1)}${((v4[0]! << 8) | v4[1]!).toString(16)}:${((v4[2]! << 8) | v4[3]!).toString(16)}`;
  }
  const [left = "", right] = s.split("::");
  const leftGroups = left === "" ? [] : left.split(":");
  const rightGroups = right === undefined || right === "" ? [] : right.split(":");
  const zeros = 8 - leftGroups.length - rightGroups.length;
  const groups = [...leftGroups, ...new Array<string>(right === undefined ? 0 : zeros).fill("0"), ...rightGroups];
  if (groups.length !== 8) return undefined;
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    bytes[i * 2] = v >> 8;
    bytes[i * 2 + 1] = v & 0xff;
  });
  return bytes;
}

/** Parses an IPv4 or IPv6 literal (brackets and a %zone allowed); IPv4-mapped IPv6 comes back as 4 bytes. */
export function parseIp(input: string): Uint8Array | undefined {
  let s = input.startsWith("[") && input.endsWith("]") ? input.slice(1, -1) : input;
  const zone = s.indexOf("%");
  if (zone >= 0) s = s.slice(0, zone);
  const v4 = parseIpv4(s);
  if (v4 !== undefined) return v4;
  const v6 = parseIpv6(s);
  if (v6 === undefined) return undefined;
  const mapped = v6.subarray(0, 10).every((b) => b === 0) && v6[10] === 0xff && v6[11] === 0xff;
  return mapped ? v6.slice(12) : v6;
}

/** "10.96.0.0/12", "fd00::/8", or a bare address (a /32 or /128). */
export function parseCidr(s: string): Cidr | undefined {
  const slash = s.indexOf("/");
  const addr = parseIp(slash < 0 ? s : s.slice(0, slash));
  if (addr === undefined) return undefined;
  const max = addr.length * 8;
  let prefix = max;
  if (slash >= 0) {
    const p = s.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p)) return undefined;
    prefix = Number(p);
    // An IPv4-mapped block given in IPv6 form ("::ffff:10.0.0.0/104") is stored as IPv4.
    if (addr.length === 4 && s.slice(0, slash).includes(":")) prefix -= 96;
    if (prefix < 0 || prefix > max) return undefined;
  }
  const bytes = addr.slice();
  for (let bit = prefix; bit < max; bit++) bytes[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return { bytes, prefix };
}

export function cidrContains(cidr: Cidr, addr: Uint8Array): boolean {
  if (cidr.bytes.length !== addr.length) return false;
  const full = cidr.prefix >> 3;
  for (let i = 0; i < full; i++) if (cidr.bytes[i] !== addr[i]) return false;
  const rest = cidr.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (addr[full]! & mask) === cidr.bytes[full];
}

/** 16 bytes → the shortest RFC 5952 text ("::1", "fd00::a:1"). */
export function formatIpv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  // The longest run of two or more zero groups (the first one on a tie) becomes "::".
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [bestStart, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLen).join(":")}`;
}
