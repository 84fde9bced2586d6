/**
 * The rewrite env stage: each cluster address in a pod or profile value gets a loopback listener through the
 * tunnel, and the value is rewritten to it with every other part kept (scheme, user, password, path, query).
 *
 *   URLs of any scheme             postgres://u:p@db.shop.svc.cluster.local:5432/x → postgres://u:p@127.0.0.1:41234/x
 *   host:port (and lists of them)  cache.shop:6379 → 127.0.0.1:41235
 *   a host variable + its port     DB_SERVICE_HOST=10.96.0.12, DB_SERVICE_PORT=5432 (and DB_SERVICE_PORT_<NAME>),
 *                                  X_PORT_5432_TCP_ADDR/_PORT, X_HOST/X_PORT, X_ADDR/X_PORT → 127.0.0.1 and the
 *                                  listener's port
 *
 * Left alone: TLS-from-the-start schemes (https, rediss...: the certificate names the cluster host), UDP, a
 * bare host with no port variable beside it (no port to listen for), variables and hosts `[reach] keep`
 * names, and whatever the classifier (./classify.ts) finds is not in the cluster.
 */
import type { EnvDraft } from "../../env/pipeline";
import { globToRegExp } from "../../text/glob";
import { parseIp } from "../../proxy/ip";
import { type Found, findAddresses, replaceAddresses, TLS_SCHEMES } from "./addresses";
import type { Verdict } from "./classify";
import type { ListenerPool } from "./listeners";

const LOOPBACK = "127.0.0.1";

/** Suffixes of variables that hold only a host, and the suffixes of the variables holding its port. */
const HOST_VARIABLES: ReadonlyArray<{ host: string; port: string; named?: boolean }> = [
  { host: "_SERVICE_HOST", port: "_SERVICE_PORT", named: true },
  { host: "_ADDR", port: "_PORT" },
  { host: "_HOST", port: "_PORT" },
  { host: "_HOSTNAME", port: "_PORT" },
  { host: "_SERVER", port: "_PORT" },
  { host: "_ADDRESS", port: "_PORT" },
];

export interface RewriteOptions {
  keepVariables: readonly string[];
  classify: (host: string) => Promise<Verdict>;
  listeners: ListenerPool;
  log: (message: string) => void;
}

/** IPs Kubernetes wrote into service-link variables: by construction Service cluster IPs. */
export function serviceLinkIps(values: ReadonlyArray<[string, string]>): Set<string> {
  const ips = new Set<string>();
  for (const [name, value] of values) {
    if ((name.endsWith("_SERVICE_HOST") || /_PORT_\d+_TCP_ADDR$/.test(name)) && parseIp(value.trim()))
      ips.add(value.trim().toLowerCase());
  }
  return ips;
}

interface HostPair {
  hostVar: string;
  host: string;
  ports: Array<{ name: string; port: number }>;
}

/** Host variables with at least one numeric port variable beside them. */
function hostPairs(values: ReadonlyMap<string, string>): HostPair[] {
  const pairs: HostPair[] = [];
  for (const [name, value] of values) {
    const rule = HOST_VARIABLES.find((r) => name.endsWith(r.host));
    if (!rule) continue;
    const found = findAddresses(value, { bareHost: true });
    const only = found[0];
    if (found.length !== 1 || !only || only.port !== undefined || only.scheme !== undefined) continue;
    const prefix = name.slice(0, -rule.host.length);
    const portName = prefix + rule.port;
    const ports: HostPair["ports"] = [];
    for (const [other, text] of values) {
      const isPort = other === portName || (rule.named === true && other.startsWith(`${portName}_`));
      if (isPort && /^\d{1,5}$/.test(text) && Number(text) >= 1 && Number(text) <= 65535)
        ports.push({ name: other, port: Number(text) });
    }
    if (ports.length > 0) pairs.push({ hostVar: name, host: only.host, ports });
  }
  return pairs;
}

export async function rewriteClusterAddresses(draft: EnvDraft, options: RewriteOptions): Promise<void> {
  const keep = options.keepVariables.map((g) => globToRegExp(g));
  const values = new Map(draft.rewritable().filter(([name]) => !keep.some((g) => g.test(name))));
  const { classify, listeners, log } = options;
  const by = (verdicts: Verdict[]): string => `reach: ${[...new Set(verdicts.map((v) => v.reason))].join("; ")}`;

  const pairs = hostPairs(values);
  const addresses = new Map([...values].map(([name, value]) => [name, findAddresses(value, { bareHost: false })]));
  // Every host asked at once (the classifier caches each answer): lookups are round trips to the pod.
  await Promise.all(
    [...pairs.map((p) => p.host), ...[...addresses.values()].flat().map((f) => f.host)].map((host) => classify(host)),
  );

  // Host + port variable pairs: the host becomes 127.0.0.1, each port variable its own listener's port.
  const pairedPorts = new Set<string>();
  for (const pair of pairs) {
    const verdict = await classify(pair.host);
    log(`${pair.hostVar}=${pair.host}: ${verdict.cluster ? "cluster" : "left alone"} (${verdict.reason})`);
    if (!verdict.cluster) continue;
    for (const { name, port } of pair.ports) {
      const local = await listeners.portFor({ host: pair.host, port }, pair.hostVar);
      draft.rewrite(name, String(local), by([verdict]));
      pairedPorts.add(name);
    }
    draft.rewrite(pair.hostVar, LOOPBACK, by([verdict]));
  }

  // Every other value holding URLs or host:port.
  for (const [name, value] of values) {
    if (pairedPorts.has(name)) continue;
    const found = addresses.get(name) ?? [];
    if (found.length === 0 || found.some((f) => !rewritableScheme(f))) continue;
    const replacements: Array<{ found: Found; host: string; port: number }> = [];
    const verdicts: Verdict[] = [];
    for (const f of found) {
      const verdict = await classify(f.host);
      log(`${name}: ${f.host}: ${verdict.cluster ? "cluster" : "left alone"} (${verdict.reason})`);
      if (!verdict.cluster || f.port === undefined) continue;
      verdicts.push(verdict);
      replacements.push({
        found: f,
        host: LOOPBACK,
        port: await listeners.portFor({ host: f.host, port: f.port }, name),
      });
    }
    if (replacements.length > 0) draft.rewrite(name, replaceAddresses(value, replacements), by(verdicts));
  }
}

function rewritableScheme(found: Found): boolean {
  return found.scheme === undefined || (!TLS_SCHEMES.has(found.scheme) && found.scheme !== "udp");
}
