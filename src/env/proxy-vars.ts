import { formatHostPort } from "../../wire/net";

export interface ProxyEndpoints {
  socks: { host: string; port: number };
  http: { host: string; port: number };
  /** Host globs and CIDRs that bypass the proxies (loopback is always added). */
  direct: readonly string[];
  auth?: { username: string; password: string } | undefined;
}

/**
 * The variables that point clients at kfwd's proxies. Both cases are set because clients disagree
 * (curl reads only lowercase http_proxy; Go and Python read either). ALL_PROXY uses socks5h:// so that
 * curl and friends send names to the proxy unresolved: the agent resolves them in the cluster.
 */
export function proxyVariables(p: ProxyEndpoints): Record<string, string> {
  const cred = p.auth ? `${encodeURIComponent(p.auth.username)}:${encodeURIComponent(p.auth.password)}@` : "";
  const http = `http://${cred}${formatHostPort(p.http)}`;
  const socks = `socks5h://${cred}${formatHostPort(p.socks)}`;
  const noProxy = ["localhost", "127.0.0.1", "::1", ...p.direct.map(toNoProxyEntry)].join(",");
  const vars: Record<string, string> = {
    KFWD_SOCKS: formatHostPort(p.socks),
    KFWD_HTTP: formatHostPort(p.http),
  };
  for (const [name, value] of [
    ["HTTP_PROXY", http],
    ["HTTPS_PROXY", http],
    ["ALL_PROXY", socks],
    ["NO_PROXY", noProxy],
  ] as const) {
    vars[name] = value;
    vars[name.toLowerCase()] = value;
  }
  return vars;
}

/** NO_PROXY understands ".suffix" domains and (in most clients) CIDRs, not globs: "*.corp" becomes ".corp". */
function toNoProxyEntry(rule: string): string {
  return rule.startsWith("*.") ? rule.slice(1) : rule;
}
