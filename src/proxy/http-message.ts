/** What the HTTP proxy changes in the messages it forwards, and the responses it makes up itself. */
import { credentialsMatch, type ProxyAuth } from "./auth";
import type { Destination } from "./dialer";
import {
  type Headers,
  HttpParseError,
  type RequestHead,
  type ResponseHead,
  headerTokens,
  headerValue,
} from "./http-parser";

/** Headers that describe one hop (RFC 9110 §7.6.1, plus the non-standard Proxy-Connection): never forwarded. */
const HOP_BY_HOP = new Set([
  "connection",
  "proxy-connection",
  "keep-alive",
  "proxy-authorization",
  "proxy-authenticate",
  "te",
  "trailer",
  "upgrade",
]);

/**
 * Drops hop-by-hop headers and those the Connection header names. With `upgrade`, the Upgrade header survives
 * and "Connection: Upgrade" is re-added: any protocol is passed through, since after a 101 the proxy only
 * splices bytes and does not need to understand them.
 */
function endToEnd(headers: Headers, upgrade: boolean): Headers {
  const named = new Set(headerTokens(headers, "connection"));
  const out = headers.filter(([n]) => {
    const name = n.toLowerCase();
    if (upgrade && name === "upgrade") return true;
    return !HOP_BY_HOP.has(name) && !named.has(name);
  });
  if (upgrade) out.push(["Connection", "Upgrade"]);
  return out;
}

export function wantsUpgrade(head: RequestHead): boolean {
  return (
    headerValue(head.headers, "upgrade") !== undefined && headerTokens(head.headers, "connection").includes("upgrade")
  );
}

/**
 * Whether the client keeps its connection after this exchange. HTTP/1.0 clients are always closed after one
 * response: their keep-alive needs a Content-Length on every response, which chunked upstreams do not give.
 */
export function clientKeepsAlive(head: RequestHead): boolean {
  if (head.version !== "1.1") return false;
  const tokens = [...headerTokens(head.headers, "connection"), ...headerTokens(head.headers, "proxy-connection")];
  return !tokens.includes("close");
}

export function upstreamKeepsAlive(head: ResponseHead): boolean {
  return head.version === "1.1" && !headerTokens(head.headers, "connection").includes("close");
}

export interface AbsoluteTarget extends Destination {
  /** host[:port] as written, without userinfo: the Host header upstream. */
  authority: string;
  /** origin-form: path and query. */
  path: string;
}

const MAX_HOST_LENGTH = 253;

/** "host:port" (authority-form, CONNECT) or "host[:port]" with a default port. Brackets around IPv6. */
export function parseAuthority(text: string, defaultPort?: number): Destination {
  const m = /^(?:\[([0-9a-fA-F:.]+(?:%[\w.-]+)?)\]|([A-Za-z0-9._~!$&'()*+,;=%-]+))(?::(\d{1,5}))?$/.exec(text);
  const port = m?.[3] !== undefined ? Number(m[3]) : defaultPort;
  if (m === null || port === undefined || port < 1 || port > 65535) {
    throw new HttpParseError(`bad authority "${text.slice(0, 80)}"`);
  }
  const host = m[1] ?? m[2]!;
  // A DNS name has at most 253 characters; the agent's OPEN frame could not even carry much more.
  if (host.length > MAX_HOST_LENGTH) {
    throw new HttpParseError(`host name too long (${host.length} characters; at most ${MAX_HOST_LENGTH})`);
  }
  return { host: host.toLowerCase(), port };
}

/** "http://host[:port]/path?query" → where to connect and the origin-form target. */
export function parseAbsoluteTarget(target: string): AbsoluteTarget {
  if (!/^http:\/\//i.test(target)) {
    throw new HttpParseError(
      target.startsWith("/")
        ? "this is a proxy: send absolute URIs (http://host/path) or CONNECT"
        : `only http:// URIs are forwarded, use CONNECT for others: "${target.slice(0, 80)}"`,
    );
  }
  const rest = target.slice(7).split("#")[0]!;
  const slash = rest.search(/[/?]/);
  let authority = slash < 0 ? rest : rest.slice(0, slash);
  authority = authority.slice(authority.lastIndexOf("@") + 1);
  const path = slash < 0 ? "/" : rest[slash] === "?" ? `/${rest.slice(slash)}` : rest.slice(slash);
  return { ...parseAuthority(authority, 80), authority, path };
}

function serialize(startLine: string, headers: Headers): string {
  let out = `${startLine}\r\n`;
  for (const [n, v] of headers) out += `${n}: ${v}\r\n`;
  return `${out}\r\n`;
}

/** The request as the origin server must see it: origin-form target, Host from the URI (RFC 9112 §3.2.2). */
export function upstreamRequest(head: RequestHead, target: AbsoluteTarget, upgrade: boolean): string {
  const headers = endToEnd(head.headers, upgrade).filter(([n]) => n.toLowerCase() !== "host");
  return serialize(`${head.method} ${target.path} HTTP/${head.version}`, [["Host", target.authority], ...headers]);
}

export function clientResponse(head: ResponseHead, options: { keepAlive: boolean; upgrade: boolean }): string {
  let headers = endToEnd(head.headers, options.upgrade && head.status === 101);
  // A chunked body is forwarded chunked; a Content-Length beside it would be wrong for the next hop.
  if (headerValue(headers, "transfer-encoding") !== undefined) {
    headers = headers.filter(([n]) => n.toLowerCase() !== "content-length");
  }
  if (!options.keepAlive && head.status !== 101) headers.push(["Connection", "close"]);
  return serialize(`HTTP/${head.version} ${head.status} ${head.reason}`.trimEnd(), headers);
}

const REASON: Record<number, string> = {
  400: "Bad Request",
  407: "Proxy Authentication Required",
  414: "URI Too Long",
  431: "Request Header Fields Too Large",
  501: "Not Implemented",
  502: "Bad Gateway",
  504: "Gateway Timeout",
};

/** A short plain-text response from the proxy itself; the connection closes after it. */
export function proxyResponse(status: number, text: string, extra: Headers = []): string {
  const body = `kfwd: ${text}\n`;
  return (
    serialize(`HTTP/1.1 ${status} ${REASON[status] ?? "Error"}`, [
      ["Content-Type", "text/plain; charset=utf-8"],
      ["Content-Length", String(Buffer.byteLength(body))],
      ["Connection", "close"],
      ...extra,
    ]) + body
  );
}

export const AUTH_REQUIRED = proxyResponse(407, "proxy authentication required", [
  ["Proxy-Authenticate", 'Basic realm="kfwd"'],
]);

/** Proxy-Authorization: Basic base64(user:pass), compared in constant time. */
export function authorized(head: RequestHead, auth: ProxyAuth): boolean {
  const m = /^basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(headerValue(head.headers, "proxy-authorization") ?? "");
  if (m === null) return false;
  const decoded = Buffer.from(m[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return false;
  return credentialsMatch(auth, decoded.slice(0, colon), decoded.slice(colon + 1));
}
