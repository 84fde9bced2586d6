/**
 * Decides per destination whether a connection goes through the agent ("cluster") or straight from the host
 * ("direct").
 *
 * Rules are host globs ("*.svc.cluster.local", "*.internal", "db.example.com"; `*` matches any run of
 * characters, dots included; case-insensitive), CIDR blocks ("10.96.0.0/12", "fd00::/8") or bare addresses.
 * Globs match names only; CIDRs match address literals only; the glob "*" alone matches every host.
 *
 * Precedence, in order:
 *  1. Loopback (DEFAULT_DIRECT) is always direct: the host's own services and kfwd's proxies live there, and
 *     sending "localhost" into the pod would silently reach something else.
 *  2. The most specific matching rule wins. Specificity: an exact name beats any glob; among globs, more literal
 *     characters beat fewer ("*.db.svc.cluster.local" beats "*.svc.cluster.local"); among CIDRs, the longer
 *     prefix wins; "*" is the least specific rule of all.
 *  3. On a tie the direct rule wins: a direct rule is an exception the user carved out, and staying on the host
 *     is the outcome that never leaks host traffic into the cluster by surprise.
 *  4. No match: cluster when the profile lists no cluster rules (the default: the user asked to be "in the
 *     pod"); direct when it does, since a list of cluster rules means "only these go to the cluster".
 */
import { KfwdError } from "../errors";
import type { Dialer } from "./dialer";
import { type Cidr, cidrContains, parseCidr, parseIp } from "./ip";

export type Route = "cluster" | "direct";

/** Loopback names and addresses: always dialed from the host. */
export const DEFAULT_DIRECT: readonly string[] = ["localhost", "*.localhost", "127.0.0.0/8", "::1"];

type Rule =
  | { kind: "name"; route: Route; pattern: RegExp; specificity: number }
  | { kind: "cidr"; route: Route; cidr: Cidr; specificity: number };

/** Exact names outrank every glob whatever their length. */
const EXACT_NAME = 1_000_000;

function normalizeHost(host: string): string {
  let h = host.toLowerCase();
  if (h.startsWith("[") && h.endsWith("]")) h = h.slice(1, -1);
  return h.endsWith(".") ? h.slice(0, -1) : h;
}

function compileRule(text: string, route: Route): Rule {
  const rule = text.trim().toLowerCase();
  const cidr = parseCidr(rule);
  if (cidr !== undefined) return { kind: "cidr", route, cidr, specificity: cidr.prefix + 1 };
  if (rule.includes("/") || !/^[a-z0-9*_.-]+$/.test(rule)) {
    throw new KfwdError(
      "KFWD_ROUTE_INVALID",
      `Cannot use route rule "${text}": not a host name, glob or CIDR block`,
      'Write rules like "*.svc.cluster.local", "db.internal", "10.96.0.0/12" or "fd00::/8".',
    );
  }
  const name = normalizeHost(rule);
  const literal = name.replaceAll("*", "").length;
  const source = name
    .split("*")
    .map((part) => part.replace(/[.]/g, "\\."))
    .join(".*");
  return {
    kind: "name",
    route,
    pattern: new RegExp(`^${source}$`),
    specificity: name.includes("*") ? literal : EXACT_NAME + literal,
  };
}

function matches(rule: Rule, host: string, addr: Uint8Array | undefined): boolean {
  if (rule.kind === "cidr") return addr !== undefined && cidrContains(rule.cidr, addr);
  if (addr !== undefined) return rule.specificity === 0; // only the bare "*" glob matches address literals
  return rule.pattern.test(host);
}

export class RouteTable {
  /** Where a destination that matches no rule goes. */
  readonly fallback: Route;
  readonly #loopback: Rule[];
  readonly #rules: Rule[];

  constructor(rules: { cluster: string[]; direct: string[] }) {
    this.#loopback = DEFAULT_DIRECT.map((r) => compileRule(r, "direct"));
    this.#rules = [
      ...rules.cluster.map((r) => compileRule(r, "cluster")),
      ...rules.direct.map((r) => compileRule(r, "direct")),
    ];
    this.fallback = rules.cluster.length > 0 ? "direct" : "cluster";
  }

  decide(host: string): Route {
    const name = normalizeHost(host);
    const addr = parseIp(name);
    if (this.#loopback.some((r) => matches(r, name, addr))) return "direct";
    let best: Rule | undefined;
    for (const rule of this.#rules) {
      if (!matches(rule, name, addr)) continue;
      if (
        best === undefined ||
        rule.specificity > best.specificity ||
        (rule.specificity === best.specificity && rule.route === "direct")
      ) {
        best = rule;
      }
    }
    return best?.route ?? this.fallback;
  }
}

/** A dialer that sends each destination to the cluster or the direct dialer as the table decides. */
export function routingDialer(table: RouteTable, dialers: { cluster: Dialer; direct: Dialer }): Dialer {
  return (dest) => dialers[table.decide(dest.host)](dest);
}
