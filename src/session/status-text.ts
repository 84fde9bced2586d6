/** Sessions as `kfwd status` and `kfwd up` show them: a block of lines per session, or plain JSON. */
import type { Probe } from "./registry";
import type { SessionState } from "./state";
import type { LinkStats } from "./tunnel";

export interface SessionJson {
  id: string;
  profile: string;
  state: "up" | "connecting" | "reconnecting" | "closed" | "unresponsive" | "stale";
  pid: number;
  target: string;
  agent?: string;
  startedAt: string;
  uptimeMs?: number;
  /** Each capability's report by name: where it listens (outgoing: socks, http, forwards) and, while the
   *  session runs, its live figures merged in. */
  capabilities: Record<string, Record<string, unknown>>;
  openStreams?: number;
  bytesSent?: number;
  bytesReceived?: number;
  rttMs?: number | null;
  reconnects?: number;
  /** The transport that carries new streams ("exec", "portforward"), and every link to the agent. */
  streamsOver?: string;
  links?: LinkStats[];
  /** Why a session is unresponsive or stale; a stale one has been cleaned up. */
  reason?: string;
  log: string;
}

export function sessionJson(p: Probe): SessionJson {
  const s = p.state;
  const base = {
    id: s.profileId,
    profile: s.profilePath,
    pid: s.pid,
    target: s.target,
    startedAt: s.startedAt,
    log: s.log,
  };
  const described = Object.fromEntries(Object.entries(s.capabilities).map(([name, r]) => [name, { ...r.data }]));
  if (p.kind !== "running") return { ...base, capabilities: described, state: p.kind, reason: p.reason };
  const t = p.stats;
  const live = Object.entries(t.capabilities ?? {}).map(([name, r]) => [name, { ...described[name], ...r.data }]);
  return {
    ...base,
    capabilities: { ...described, ...Object.fromEntries(live) },
    state: t.state,
    agent: t.agent,
    uptimeMs: t.uptimeMs,
    openStreams: t.openStreams,
    bytesSent: t.bytesSent,
    bytesReceived: t.bytesReceived,
    rttMs: t.rttMs ?? null,
    reconnects: t.reconnects,
    ...(t.links ? { streamsOver: streamLink(t.links)?.transport ?? "none", links: t.links } : {}),
  };
}

/** The link new streams go to: the first of the highest priority (the tunnel then picks the least busy). */
function streamLink(links: readonly LinkStats[]): LinkStats | undefined {
  return links.reduce<LinkStats | undefined>((best, l) => (best && best.priority >= l.priority ? best : l), undefined);
}

export function sessionText(p: Probe): string {
  const s = p.state;
  if (p.kind === "stale") return `${s.profilePath}  stale: ${p.reason}; cleaned up\n`;
  const head = p.kind === "running" ? `${p.stats.state}, ${duration(p.stats.uptimeMs)}` : `unresponsive: ${p.reason}`;
  // A capability's live figures replace what it said at start (listeners made on demand, counters).
  const live = p.kind === "running" ? (p.stats.capabilities ?? {}) : {};
  const lines = [`${s.profilePath}  ${head}`, `  session   ${s.profileId}, pid ${s.pid}`, ...placeLines(s, live)];
  if (p.kind === "running") {
    const t = p.stats;
    lines.splice(
      2,
      0,
      `  agent     ${t.agent}${t.rttMs !== undefined ? `, rtt ${t.rttMs.toFixed(1)} ms` : ""}${t.reconnects ? `, ${t.reconnects} reconnect${t.reconnects === 1 ? "" : "s"}` : ""}`,
    );
    const over = t.links && t.links.length > 1 ? streamLink(t.links) : undefined;
    if (over && t.links)
      lines.push(
        `  links     ${t.links.map((l) => (l === over ? `${l.transport} (streams)` : l.transport)).join(", ")}`,
      );
    lines.push(
      `  traffic   ${t.openStreams} open stream${t.openStreams === 1 ? "" : "s"}, ${bytes(t.bytesSent)} sent, ${bytes(t.bytesReceived)} received`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** Where a session can be reached: what `kfwd up` prints once it is ready (each capability's own lines). */
export function placeLines(s: SessionState, live: SessionState["capabilities"] = {}): string[] {
  const names = [...new Set([...Object.keys(s.capabilities), ...Object.keys(live)])];
  return [
    `  target    ${s.target}`,
    ...names.flatMap((name) => (live[name] ?? s.capabilities[name])?.lines.map((line) => `  ${line}`) ?? []),
  ];
}

export function bytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${n} B` : `${value.toFixed(1)} ${units[unit]}`;
}

export function duration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${String(m % 60).padStart(2, "0")}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, "0")}h`;
}
