/**
 * Parsers for the value syntaxes a profile uses (durations, host:port, env globs, Kubernetes names and
 * quantities). They throw KfwdError with a hint, so the CLI can reuse them for flags; the profile validator
 * turns the same errors into per-key problems.
 */
import { isIP } from "node:net";
import { KfwdError } from "../errors";

const INVALID = "KFWD_INVALID_VALUE";

/** A duration in milliseconds. A named alias so fields like `idle_timeout` say their unit in the type. */
export type Milliseconds = number;

export interface HostPort {
  /** A DNS name or an IP address; IPv6 without brackets. */
  host: string;
  port: number;
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;

/** "500ms", "30s", "2m", "1h", or a sequence like "1m30s" → milliseconds. */
export function parseDuration(text: string): Milliseconds {
  const bad = (): KfwdError =>
    new KfwdError(
      INVALID,
      `Cannot parse duration "${text}": expected a number followed by ms, s, m or h`,
      'Write e.g. "500ms", "30s", "2m" or "1m30s".',
    );
  if (text.length === 0) throw bad();
  let total = 0;
  DURATION_PART.lastIndex = 0;
  while (DURATION_PART.lastIndex < text.length) {
    const m = DURATION_PART.exec(text);
    if (!m) throw bad();
    total += Number(m[1]) * (DURATION_UNITS[m[2] ?? ""] ?? Number.NaN);
  }
  if (!Number.isFinite(total)) throw bad();
  return Math.round(total);
}

/**
 * "host:port" or "[ipv6]:port". Port 0 ("pick a free port") only for listen addresses, hence the option.
 */
export function parseHostPort(text: string, options: { allowPortZero?: boolean } = {}): HostPort {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const host = m?.[1] ?? m?.[2];
  if (!m || host === undefined) {
    throw new KfwdError(
      INVALID,
      `Cannot parse address "${text}": expected "host:port"`,
      'Write e.g. "postgres.db:5432", "127.0.0.1:8080" or "[::1]:8080".',
    );
  }
  if (m[1] !== undefined && isIP(host) !== 6) {
    throw new KfwdError(
      INVALID,
      `Cannot parse address "${text}": only IPv6 addresses go in brackets`,
      'Write e.g. "[::1]:8080".',
    );
  }
  if (!isIP(host) && !isHostname(host)) {
    throw new KfwdError(
      INVALID,
      `Cannot parse address "${text}": "${host}" is not a host name or IP address`,
      "Use letters, digits, '-' and '.' only.",
    );
  }
  const port = Number(m[3]);
  const min = options.allowPortZero ? 0 : 1;
  if (port < min || port > 65535) {
    throw new KfwdError(
      INVALID,
      `Cannot use port ${port} in "${text}": ports are ${min}..65535`,
      options.allowPortZero ? "Use 0 to pick a free port." : "Use a port between 1 and 65535.",
    );
  }
  return { host, port };
}

/** A DNS name: dot-separated labels of letters, digits and '-' (underscores too: some clusters use them). */
export function isHostname(s: string): boolean {
  return s.length <= 253 && s.split(".").every((l) => /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/.test(l));
}

/** Loopback means only this machine can connect: 127.0.0.0/8, ::1 and "localhost". */
export function isLoopbackHost(host: string): boolean {
  if (host === "localhost" || host === "::1") return true;
  return isIP(host) === 4 && host.startsWith("127.");
}

/** An environment variable name glob: anything but '=' (which would end the name) and not empty. */
export function envGlobProblem(text: string): string | undefined {
  if (text.length === 0) return "a pattern cannot be empty";
  if (text.includes("=")) return "variable names cannot contain '='";
  return undefined;
}

/** Kubernetes object names (pods, deployments...): RFC 1123 subdomains, lowercase. */
export function isKubeName(s: string): boolean {
  return s.length <= 253 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(s);
}

/** Namespaces, services and containers are RFC 1123 labels: no dots, at most 63 characters. */
export function isKubeLabel(s: string): boolean {
  return s.length <= 63 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(s);
}

/** A Kubernetes resource quantity, e.g. "500m", "1", "128Mi", "1G". */
export function isQuantity(s: string): boolean {
  return /^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/.test(s);
}
