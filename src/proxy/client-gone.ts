/**
 * Noticing that a client has gone while its upload is stuck (the destination stopped reading), or while the HTTP
 * proxy waits for a response (it reads no further request meanwhile).
 *
 * Once we stop reading a client, because the other side is full or is yet to answer, the client's FIN waits in
 * the kernel (behind any unread data): closing the client is invisible to us, and the stream would be held open
 * forever. On Linux the
 * client's own socket tells: a client that closed it (exited, close(), destroy()) leaves an orphan the kernel
 * keeps only to deliver what was written — it has no inode in /proc/net/tcp — while a client that only
 * half-closed (shutdown) still holds it and keeps working. Clients on loopback (the default) are always in our
 * network namespace, so a missing entry means the kernel has dropped the socket: gone too.
 *
 * Only connections stalled for a whole check interval are looked up, all of them in one read of /proc, so an
 * idle or flowing proxy never reads it. Elsewhere (no /proc) nothing is detected.
 */
import { readFileSync } from "node:fs";
import { endianness } from "node:os";
import type { Socket } from "node:net";

const CHECK_EVERY_MS = 1_000;

interface Watched {
  client: Socket;
  stalled: () => boolean;
  onGone: () => void;
  /** Ticks in a row it was seen stalled. */
  stalledTicks: number;
}

const watched = new Set<Watched>();
let timer: ReturnType<typeof setInterval> | undefined;

/**
 * Calls `onGone` once `client` has gone while `stalled()` has held for at least a check interval, or once it is
 * found destroyed: Bun (1.4.5) sometimes destroys a socket without emitting 'close', so whoever releases
 * resources on that event alone would hold them forever. Returns the function that stops watching.
 */
export function watchClient(client: Socket, stalled: () => boolean, onGone: () => void): () => void {
  const entry: Watched = { client, stalled, onGone, stalledTicks: 0 };
  watched.add(entry);
  timer ??= setInterval(check, CHECK_EVERY_MS);
  timer.unref?.();
  return () => unwatch(entry);
}

function unwatch(entry: Watched): void {
  watched.delete(entry);
  if (watched.size === 0 && timer !== undefined) {
    clearInterval(timer);
    timer = undefined;
  }
}

function check(): void {
  const suspects: Watched[] = [];
  for (const entry of watched) {
    if (entry.client.destroyed) {
      unwatch(entry);
      entry.onGone();
      continue;
    }
    entry.stalledTicks = entry.stalled() ? entry.stalledTicks + 1 : 0;
    if (entry.stalledTicks >= 2) suspects.push(entry);
  }
  if (suspects.length === 0) return;
  const table = readSocketTable();
  if (table === undefined) return;
  for (const entry of suspects) {
    if (clientGone(entry.client, table)) {
      unwatch(entry);
      entry.onGone();
    }
  }
}

/** "local remote" (as /proc prints them) → inode, for every TCP socket in our network namespace. */
type SocketTable = Map<string, string>;

function readSocketTable(): SocketTable | undefined {
  const table: SocketTable = new Map();
  let any = false;
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(file, "latin1");
    } catch {
      continue;
    }
    any = true;
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 9) table.set(`${f[1]} ${f[2]}`, f[9]!);
    }
  }
  return any ? table : undefined;
}

function clientGone(client: Socket, table: SocketTable): boolean {
  const { remoteAddress, remotePort, localAddress, localPort } = client;
  if (!remoteAddress || !remotePort || !localAddress || !localPort) return false;
  // The client's socket: its local end is our remote one.
  let found = false;
  for (const key of procKeys(remoteAddress, remotePort, localAddress, localPort)) {
    const inode = table.get(key);
    if (inode === undefined) continue;
    if (inode === "0") return true;
    found = true;
  }
  return !found && isLoopback(remoteAddress);
}

function isLoopback(address: string): boolean {
  const v4 = address.replace(/^::ffff:/i, "");
  return v4.startsWith("127.") || address === "::1";
}

/** The keys a connection may have in /proc/net/tcp (IPv4) and tcp6 (IPv6, and IPv4-mapped). */
function procKeys(localAddress: string, localPort: number, remoteAddress: string, remotePort: number): string[] {
  const local = procAddresses(localAddress);
  const remote = procAddresses(remoteAddress);
  const keys: string[] = [];
  for (let i = 0; i < local.length && i < remote.length; i++) {
    keys.push(`${local[i]}:${procPort(localPort)} ${remote[i]}:${procPort(remotePort)}`);
  }
  return keys;
}

const hex2 = (n: number): string => n.toString(16).toUpperCase().padStart(2, "0");
const procPort = (port: number): string => port.toString(16).toUpperCase().padStart(4, "0");

/** /proc prints each 32-bit word of an address as a number in host byte order. */
function procWords(bytes: number[]): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 4) {
    const word = bytes.slice(i, i + 4);
    if (endianness() === "LE") word.reverse();
    out += word.map(hex2).join("");
  }
  return out;
}

/** An address as /proc prints it: [IPv4 form, IPv4-mapped IPv6 form] or [IPv6 form]. */
function procAddresses(address: string): string[] {
  const v4 = /^(?:::ffff:)?(\d+)\.(\d+)\.(\d+)\.(\d+)$/i.exec(address);
  if (v4 !== null) {
    const bytes = v4.slice(1, 5).map(Number);
    return [procWords(bytes), procWords([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...bytes])];
  }
  return [procWords(ipv6Bytes(address))];
}

function ipv6Bytes(address: string): number[] {
  const [head = "", tail] = address.split("%")[0]!.split("::");
  const groups = (part: string | undefined) => (part ? part.split(":").map((g) => Number.parseInt(g, 16)) : []);
  const a = groups(head);
  const b = groups(tail);
  const all = tail === undefined ? a : [...a, ...new Array<number>(8 - a.length - b.length).fill(0), ...b];
  return all.flatMap((g) => [g >> 8, g & 0xff]);
}
