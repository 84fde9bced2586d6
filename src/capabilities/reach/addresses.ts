/**
 * Finding addresses inside env values and putting others in their place, every other character kept. A value
 * is one of: a URL (`scheme://[user[:password]@]host[:port][/path][?query][#fragment]`, several hosts
 * separated by commas allowed, as in `postgres://a:5432,b:5432/db`), a list of `host:port` (comma-separated),
 * or a bare host. Anything else holds no address.
 */

export interface Address {
  /** Lowercase name or IP literal, without brackets. */
  host: string;
  /** Undefined when the value names none and its scheme implies none. */
  port: number | undefined;
}

/** One address found in a value: where it is, so it can be replaced in place. */
export interface Found extends Address {
  start: number;
  end: number;
  /** The value is a URL with this scheme (lowercase), else undefined. */
  scheme: string | undefined;
}

/** Ports a URL scheme implies when it names none. */
const DEFAULT_PORTS: Readonly<Record<string, number>> = {
  http: 80,
  ws: 80,
  postgres: 5432,
  postgresql: 5432,
  redis: 6379,
  mysql: 3306,
  mariadb: 3306,
  mongodb: 27017,
  amqp: 5672,
  nats: 4222,
  memcached: 11211,
  cassandra: 9042,
  clickhouse: 9000,
};

/**
 * Schemes whose connection is TLS from the first byte: the server's certificate names the cluster host, so a
 * loopback address in its place would fail verification. These stay as they are (the proxies and the
 * language hooks reach them).
 */
export const TLS_SCHEMES: ReadonlySet<string> = new Set([
  "https",
  "wss",
  "rediss",
  "amqps",
  "ldaps",
  "grpcs",
  "mongodb+srv",
  "nats+tls",
]);

const NAME = "[A-Za-z0-9](?:[A-Za-z0-9_-]{0,62})(?:\\.[A-Za-z0-9](?:[A-Za-z0-9_-]{0,62}))*\\.?";
const IPV4 = "(?:\\d{1,3}\\.){3}\\d{1,3}";
const IPV6 = "\\[[0-9A-Fa-f:.]+\\]";
const HOST = `(?:${IPV6}|${IPV4}|${NAME})`;
const HOST_PORT = new RegExp(`^(${HOST})(?::(\\d{1,5}))?$`);
const URL_HEAD = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(?:([^@/?#]*)@)?([^/?#]*)/;

/** A host as written → its normalized form, or undefined when it is not a plausible host. */
function normalizeHost(text: string): string | undefined {
  let host = text.toLowerCase();
  if (host.startsWith("[")) host = host.slice(1, -1);
  else if (host.endsWith(".")) host = host.slice(0, -1);
  // A name needs a letter: "12" or "2024" alone is a number, not a host.
  if (!host.includes(":") && !/^(?:\d{1,3}\.){3}\d{1,3}$/.test(host) && !/[a-z]/.test(host)) return undefined;
  return host;
}

/** Parses "host[:port]" at `offset` in the value; undefined when it is not one. */
function hostPortAt(text: string, offset: number, needPort: boolean): Omit<Found, "scheme"> | undefined {
  const m = HOST_PORT.exec(text);
  if (!m) return undefined;
  const host = normalizeHost(m[1] as string);
  if (host === undefined) return undefined;
  const port = m[2] !== undefined ? Number(m[2]) : undefined;
  if (port !== undefined && (port < 1 || port > 65535)) return undefined;
  if (needPort && port === undefined) return undefined;
  return { host, port, start: offset, end: offset + text.length };
}

/** Every address in `value`, in order. `bareHost`: a value that is only a host (no port) counts too. */
export function findAddresses(value: string, options: { bareHost: boolean }): Found[] {
  const url = URL_HEAD.exec(value);
  if (url) {
    const scheme = (url[1] as string).toLowerCase();
    const authority = url[3] as string;
    const authorityStart = url[0].length - authority.length;
    const found: Found[] = [];
    let offset = authorityStart;
    for (const part of authority.split(",")) {
      const hp = hostPortAt(part, offset, false);
      if (!hp) return [];
      found.push({ ...hp, port: hp.port ?? DEFAULT_PORTS[scheme], scheme });
      offset += part.length + 1;
    }
    return found;
  }
  const trimmed = value.trim();
  if (trimmed !== value || value === "") return [];
  const parts = value.split(",");
  const found: Found[] = [];
  let offset = 0;
  for (const part of parts) {
    const hp = hostPortAt(part, offset, !(options.bareHost && parts.length === 1));
    if (!hp) return [];
    found.push({ ...hp, scheme: undefined });
    offset += part.length + 1;
  }
  return found;
}

/** `value` with each found address replaced by `127.0.0.1:<port>` (or the host alone where no port was written). */
export function replaceAddresses(
  value: string,
  replacements: ReadonlyArray<{ found: Found; host: string; port: number }>,
): string {
  let out = "";
  let at = 0;
  for (const { found, host, port } of [...replacements].sort((a, b) => a.found.start - b.found.start)) {
    out += value.slice(at, found.start);
    out += `${host.includes(":") ? `[${host}]` : host}:${port}`;
    at = found.end;
  }
  return out + value.slice(at);
}
