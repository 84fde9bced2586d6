/** Sessions as `kfwd status` and `kfwd up` show them: a block of lines per session, or plain JSON. */
import type { Probe } from "./registry";
import type { SessionState } from "./state";

export interface SessionJson {
  id: string;
  profile: string;
  state: "up" | "connecting" | "reconnecting" | "closed" | "unresponsive" | "stale";
  pid: number;
  target: string;
  agent?: string;
  startedAt: string;
  uptimeMs?: number;
  socks: string;
  http: string;
  forwards: SessionState["forwards"];
  openStreams?: number;
  bytesSent?: number;
  bytesReceived?: number;
  rttMs?: number | null;
  reconnects?: number;
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
    socks: s.socks,
    http: s.http,
    forwards: s.forwards,
    log: s.log,
  };
  if (p.kind !== "running") return { ...base, state: p.kind, reason: p.reason };
  const t = p.stats;
  return {
    ...base,
    state: t.state,
    agent: t.agent,
    uptimeMs: t.uptimeMs,
    openStreams: t.openStreams,
    bytesSent: t.bytesSent,
    bytesReceived: t.bytesReceived,
    rttMs: t.rttMs ?? null,
    reconnects: t.reconnects,
  };
}

export function sessionText(p: Probe): string {
  const s = p.state;
  if (p.kind === "stale") return `${s.profilePath}  stale: ${p.reason}; cleaned up\n`;
  const head = p.kind === "running" ? `${p.stats.state}, ${duration(p.stats.uptimeMs)}` : `unresponsive: ${p.reason}`;
  const lines = [`${s.profilePath}  ${head}`, `  session   ${s.profileId}, pid ${s.pid}`, ...placeLines(s)];
  if (p.kind === "running") {
    const t = p.stats;
    lines.splice(
      2,
      0,
      `  agent     ${t.agent}${t.rttMs !== undefined ? `, rtt ${t.rttMs.toFixed(1)} ms` : ""}${t.reconnects ? `, ${t.reconnects} reconnect${t.reconnects === 1 ? "" : "s"}` : ""}`,
    );
    lines.push(
      `  traffic   ${t.openStreams} open stream${t.openStreams === 1 ? "" : "s"}, ${bytes(t.bytesSent)} sent, ${bytes(t.bytesReceived)} received`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** Where a session can be reached: what `kfwd up` prints once it is ready. */
export function placeLines(s: SessionState): string[] {
  return [
    `  target    ${s.target}`,
    `  socks5    ${s.socks}`,
    `  http      ${s.http}`,
    ...s.forwards.map((f) => `  forward   ${f.listen} → ${f.to}${f.name ? ` (${f.name})` : ""}`),
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
