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
 * (curl reads only lowercase http_proxy; Go and Python read either). ALL_PROXY is the HTTP proxy too, not
 * socks5h://: clients that read it (curl, httpx) then speak a protocol they always support, while httpx
 * without the optional socksio package raises ImportError on every request, loopback included, when
 * ALL_PROXY is a SOCKS URL. Either proxy leaves names unresolved for the agent. Tools that want SOCKS get
 * it from KFWD_SOCKS.
 */
export function proxyVariables(p: ProxyEndpoints): Record<string, string> {
  const cred = p.auth ? `${encodeURIComponent(p.auth.username)}:${encodeURIComponent(p.auth.password)}@` : "";
  const http = `http://${cred}${formatHostPort(p.http)}`;
  const noProxy = ["localhost", "127.0.0.1", "::1", ...p.direct.map(toNoProxyEntry)].join(",");
  const vars: Record<string, string> = {
    KFWD_SOCKS: formatHostPort(p.socks),
    KFWD_HTTP: formatHostPort(p.http),
  };
  for (const [name, value] of [
    ["HTTP_PROXY", http],
    ["HTTPS_PROXY", http],
    ["ALL_PROXY", http],
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
