/**
 * Decides per destination whether a connection goes through the agent ("cluster") or straight from the host
 * ("direct").
 *
 * Rules are host globs ("*.svc.cluster.local", "*.internal", "db-?", "db.example.com"; `*` matches any run of
 * characters, dots included, `?` exactly one; case-insensitive), CIDR blocks ("10.96.0.0/12", "fd00::/8") or
 * bare addresses. Globs match names only; CIDRs match address literals only; the glob "*" alone matches every
 * host. Profile validation checks rules with `routeRuleProblem`, this table's own compiler.
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
import { globToRegExp, isGlob, literalLength } from "../text/glob";
import { type Cidr, cidrContains, parseCidr, parseIp } from "./ip";

export type Route = "cluster" | "direct";

/** Loopback names and addresses: always dialed from the host. */
export const DEFAULT_DIRECT: readonly string[] = ["localhost", "*.localhost", "127.0.0.0/8", "::1"];

type Pattern =
  | { kind: "name"; pattern: RegExp; specificity: number /** "*": matches address literals too */; any: boolean }
  | { kind: "cidr"; cidr: Cidr; specificity: number };
type Rule = Pattern & { route: Route };

/** Exact names outrank every glob whatever their length. */
const EXACT_NAME = 1_000_000;

function normalizeHost(host: string): string {
  let h = host.toLowerCase();
  if (h.startsWith("[") && h.endsWith("]")) h = h.slice(1, -1);
  return h.endsWith(".") ? h.slice(0, -1) : h;
}

/** A rule's matcher, or why the text is not a rule. */
function parseRule(text: string): Pattern | string {
  const rule = text.toLowerCase();
  const cidr = parseCidr(rule);
  if (cidr !== undefined) return { kind: "cidr", cidr, specificity: cidr.prefix + 1 };
  const slash = rule.indexOf("/");
  if (slash >= 0) {
    const addr = rule.slice(0, slash);
    const bytes = parseIp(addr);
    if (bytes === undefined) return `"${text.slice(0, slash)}" is not an IP address (a CIDR block is "10.96.0.0/12")`;
    if (!addr.includes(":")) return "the prefix length must be 0..32";
    return bytes.length === 4
      ? "an IPv4-mapped block's prefix length must be 96..128"
      : "the prefix length must be 0..128";
  }
  if (!/^[a-z0-9*?_.-]+$/.test(rule))
    return "use a host name or glob (letters, digits, '-', '.', '*', '?'), an IP or a CIDR";
  const name = normalizeHost(rule);
  const literal = literalLength(name);
  return {
    kind: "name",
    pattern: globToRegExp(name),
    specificity: isGlob(name) ? literal : EXACT_NAME + literal,
    any: /^\*+$/.test(name),
  };
}

/** Why `text` cannot be a route rule, or undefined when it can. */
export function routeRuleProblem(text: string): string | undefined {
  const parsed = parseRule(text);
  return typeof parsed === "string" ? parsed : undefined;
}

function compileRule(text: string, route: Route): Rule {
  const parsed = parseRule(text);
  if (typeof parsed === "string") {
    throw new KfwdError(
      "KFWD_ROUTE_INVALID",
      `Cannot use route rule "${text}": ${parsed}`,
      'Write rules like "*.svc.cluster.local", "db-?", "10.96.0.0/12" or "fd00::/8".',
    );
  }
  return { ...parsed, route };
}

function matches(rule: Rule, host: string, addr: Uint8Array | undefined): boolean {
  if (rule.kind === "cidr") return addr !== undefined && cidrContains(rule.cidr, addr);
  if (addr !== undefined) return rule.any; // only the bare "*" glob matches address literals
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
  return (dest, options) => dialers[table.decide(dest.host)](dest, options);
}
