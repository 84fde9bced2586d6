/**
 * Is an address found in the env one in the cluster (rewritten to a loopback listener) or one this machine
 * reaches itself (left alone)? In order, the first rule that applies decides:
 *   1. `[reach] keep` host globs, loopback and unspecified addresses: left alone.
 *   2. `[proxy]` rules: a destination the proxies send direct is left alone; one an explicit `[proxy] cluster`
 *      rule (other than `*`) names is in the cluster.
 *   3. IP literals: in the cluster when a service-link variable (`*_SERVICE_HOST`, `*_TCP_ADDR`) of the pod's
 *      env holds that IP — Kubernetes writes only Service cluster IPs there. Any other IP is left alone: the
 *      service CIDR cannot be known without cluster-wide permissions, and a wrong guess would send an external
 *      address into the cluster.
 *   4. Names under a cluster domain: ending in `.svc` or `.cluster.local`, or holding `.svc.` (custom cluster
 *      domains like `svc.corp.local`).
 *   5. Other names: in the cluster when the pod's resolver (the agent's `resolve` call) knows them and this
 *      machine's does not — short Service names (`db`, `db.shop`) through the pod's search domains. A name both
 *      resolve is a public one; it is left alone.
 */
import { lookup } from "node:dns/promises";
import { globToRegExp } from "../../text/glob";
import { parseIp } from "../../proxy/ip";
import { RouteTable } from "../../proxy/routes";

export interface Verdict {
  cluster: boolean;
  /** Why, for `kfwd env --explain` and the debug log. */
  reason: string;
}

export interface ClassifierOptions {
  keepHosts: readonly string[];
  cluster: readonly string[];
  direct: readonly string[];
  serviceIps: ReadonlySet<string>;
  /** Resolve a name in the pod: true when it has an address there. */
  resolvesInPod: (name: string) => Promise<boolean>;
  /** Resolve a name on this machine. */
  resolvesHere?: (name: string) => Promise<boolean>;
}

const LOOKUP_TIMEOUT_MS = 2000;

export function withTimeout(work: Promise<boolean>, ms = LOOKUP_TIMEOUT_MS): Promise<boolean> {
  return Promise.race([work.catch(() => false), new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref())]);
}

const resolvesOnHost = (name: string): Promise<boolean> =>
  withTimeout(lookup(name, { all: true }).then((a) => a.length > 0));

export function isClusterDomainName(name: string): boolean {
  return name.endsWith(".svc") || name.endsWith(".cluster.local") || name.includes(".svc.");
}

/** One classifier per env build: answers are cached per host, since lookups cost a round trip. */
export function classifier(options: ClassifierOptions): (host: string) => Promise<Verdict> {
  const keep = options.keepHosts.map((g) => globToRegExp(g.toLowerCase()));
  const routes = new RouteTable({ cluster: [...options.cluster], direct: [...options.direct] });
  const explicit = options.cluster.filter((r) => r !== "*");
  const named = explicit.length > 0 ? new RouteTable({ cluster: explicit, direct: [...options.direct] }) : undefined;
  const here = options.resolvesHere ?? resolvesOnHost;
  const cache = new Map<string, Promise<Verdict>>();

  const decide = async (host: string): Promise<Verdict> => {
    if (keep.some((g) => g.test(host))) return { cluster: false, reason: "[reach] keep" };
    const ip = parseIp(host);
    if (ip?.every((b) => b === 0)) return { cluster: false, reason: "unspecified address" };
    if (routes.decide(host) === "direct") return { cluster: false, reason: "loopback, or [proxy] routes it direct" };
    if (named?.decide(host) === "cluster") return { cluster: true, reason: "[proxy] cluster rule" };
    if (ip) {
      return options.serviceIps.has(host)
        ? { cluster: true, reason: "a Service IP of the pod's service-link variables" }
        : { cluster: false, reason: "an IP no service-link variable names" };
    }
    if (isClusterDomainName(host)) return { cluster: true, reason: "cluster domain name" };
    if (!(await options.resolvesInPod(host))) return { cluster: false, reason: "the pod cannot resolve it" };
    if (await here(host)) return { cluster: false, reason: "this machine resolves it too" };
    return { cluster: true, reason: "resolves only in the pod" };
  };

  return (host) => {
    let verdict = cache.get(host);
    if (!verdict) {
      verdict = decide(host);
      cache.set(host, verdict);
    }
    return verdict;
  };
}
