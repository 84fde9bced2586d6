/**
 * The JVM: JAVA_TOOL_OPTIONS (read by every JVM at start-up) with the proxy properties.
 *   -DsocksProxyHost/Port        every plain java.net.Socket (JDBC drivers included) connects through SOCKS5; a
 *                                name the host cannot resolve stays unresolved and the agent resolves it
 *   -Dhttp(s).proxyHost/Port     HttpURLConnection and java.net.http.HttpClient (its default ProxySelector reads
 *                                these) use the HTTP proxy: absolute URIs for http, CONNECT for https
 *   -Dhttp.nonProxyHosts, -DsocksNonProxyHosts   loopback and [proxy] direct host globs stay direct
 * A value the pod or [env] set gives is kept after kfwd's part; the host's own is added where the command
 * starts (src/env/option-vars.ts).
 */
import type { EnvDraft } from "../../env/pipeline";
import { optionWord } from "../../env/option-vars";
import { parseIp } from "../../proxy/ip";

const splitHostPort = (hostPort: string): { host: string; port: string } => {
  const at = hostPort.lastIndexOf(":");
  return { host: hostPort.slice(0, at).replace(/^\[|\]$/g, ""), port: hostPort.slice(at + 1) };
};

export function jvmOptions(socks: string, http: string, direct: readonly string[]): string {
  const s = splitHostPort(socks);
  const h = splitHostPort(http);
  // Java's non-proxy lists take host globs only ("*.corp"); CIDR rules are routed direct by the proxies anyway.
  const nonProxy = ["localhost", "127.*", "[::1]", ...direct.filter((d) => !d.includes("/") && !parseIp(d))].join("|");
  return [
    `-DsocksProxyHost=${s.host}`,
    `-DsocksProxyPort=${s.port}`,
    `-Dhttp.proxyHost=${h.host}`,
    `-Dhttp.proxyPort=${h.port}`,
    `-Dhttps.proxyHost=${h.host}`,
    `-Dhttps.proxyPort=${h.port}`,
    `-Dhttp.nonProxyHosts=${nonProxy}`,
    `-DsocksNonProxyHosts=${nonProxy}`,
  ]
    .map(optionWord)
    .join(" ");
}

/** Runs after the outgoing capability's proxy stage, whose KFWD_SOCKS/KFWD_HTTP name the proxies. */
export function addJvmOptions(draft: EnvDraft, direct: readonly string[]): void {
  const socks = draft.get("KFWD_SOCKS");
  const http = draft.get("KFWD_HTTP");
  if (!socks || !http) return;
  const theirs = draft.get("JAVA_TOOL_OPTIONS");
  const ours = jvmOptions(socks, http, direct);
  draft.add("JAVA_TOOL_OPTIONS", theirs ? `${ours} ${theirs}` : ours);
}
