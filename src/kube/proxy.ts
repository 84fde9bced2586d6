/**
 * Which proxy reaches the API server, decided once for every connection kfwd makes to it (REST calls, the exec
 * WebSocket, the port-forward link), the way kubectl decides: the cluster's `proxy-url` in the kubeconfig, else
 * HTTPS_PROXY (HTTP_PROXY for an http:// server) unless NO_PROXY names the server. Without this, Bun's fetch
 * would follow HTTPS_PROXY on its own while the streaming connections went direct.
 */
import { BlockList, isIP } from "node:net";

export interface ApiProxy {
  url: string;
  /** Where the setting came from, for messages: `proxy-url` or the variable's name. */
  source: string;
}

type Env = Record<string, string | undefined>;

export function apiServerProxy(
  server: string,
  proxyUrl: string | undefined,
  env: Env = process.env,
): ApiProxy | undefined {
  if (proxyUrl) return { url: proxyUrl, source: "proxy-url" };
  let target: URL;
  try {
    target = new URL(server);
  } catch {
    return undefined;
  }
  const names = target.protocol === "http:" ? ["HTTP_PROXY", "http_proxy"] : ["HTTPS_PROXY", "https_proxy"];
  const name = names.find((n) => env[n]);
  if (!name) return undefined;
  const host = target.hostname.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  const port = target.port || (target.protocol === "http:" ? "80" : "443");
  if (bypassed(host, port, env.NO_PROXY ?? env.no_proxy ?? "")) return undefined;
  const value = env[name]!;
  return { url: /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`, source: name };
}

/**
 * NO_PROXY as Go and Bun read it: `*`; IPs and CIDRs; `host` (and its subdomains), `.host` / `*.host`
 * (subdomains only); an entry with `:port` only for that port. Unlike Go, a loopback server is proxied unless
 * NO_PROXY names it: Bun's fetch does so, and there is no way to make it go direct otherwise.
 */
function bypassed(host: string, port: string, noProxy: string): boolean {
  for (const raw of noProxy.split(",")) {
    let entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === "*") return true;
    if (entry.includes("/")) {
      if (isIP(host) && inCidr(host, entry)) return true;
      continue;
    }
    let entryPort = "";
    const withPort = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(entry);
    if (withPort) {
      entry = withPort[1] ?? "";
      entryPort = withPort[2] ?? "";
    }
    entry = entry.replace(/^\[(.*)\]$/, "$1");
    if (entryPort && entryPort !== port) continue;
    if (isIP(entry)) {
      if (entry === host) return true;
      continue;
    }
    const subdomainsOnly = entry.startsWith(".") || entry.startsWith("*.");
    const domain = entry.replace(/^\*?\./, "");
    if (host.endsWith(`.${domain}`) || (!subdomainsOnly && host === domain)) return true;
  }
  return false;
}

function inCidr(ip: string, cidr: string): boolean {
  const [base = "", bits = ""] = cidr.split("/");
  const family = isIP(base);
  if (family === 0 || family !== isIP(ip) || !/^\d+$/.test(bits)) return false;
  const list = new BlockList();
  list.addSubnet(base, Number(bits), family === 4 ? "ipv4" : "ipv6");
  return list.check(ip, family === 4 ? "ipv4" : "ipv6");
}

/** The proxy URL without its password, for messages. */
export function shownProxy(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString().replace(/\/$/, "");
  } catch {
    return "(an unparsable proxy URL)";
  }
}
