/**
 * Who may use the proxies and forwards: by default only the user kfwd runs as. Anyone who can connect gets the
 * target pod's network position inside the cluster, and loopback is shared by every account on the machine.
 *
 * On Linux each accepted connection's peer socket is looked up — it lives on this machine, in this network
 * namespace — and its owner compared with kfwd's uid: one sock_diag query (netlink, through bun:ffi; about
 * 10 µs), or, where that cannot be loaded, /proc/net/tcp and tcp6 (milliseconds per lookup: they list every
 * socket). A peer that is not a local socket came from another machine to an exposed listener, which the
 * profile only allows with credentials, so it is left to them. Elsewhere the proxies get per-session credentials
 * in the URLs kfwd exports (sessionCredentials).
 */
import { dlopen, FFIType } from "bun:ffi";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import type net from "node:net";
import { debug, yellow } from "../ui/log";
import type { ProxyAuth } from "./auth";
import { parseIp } from "./ip";

/**
 * The owner's uid of the local socket at `local` connected to `remote`; null when there is none (not local);
 * CLOSED_PEER when it is closed already (a time-wait entry: the kernel no longer knows its owner).
 */
export type UidLookup = (local: Endpoint, remote: Endpoint) => number | null;

export interface Endpoint {
  /** 4 bytes (IPv4) or 16 (IPv6). */
  readonly ip: Uint8Array;
  readonly port: number;
}

const log = debug("owner");

/** Never a real uid, so never the owner: a client that closed before it was accepted is refused (harmless). */
export const CLOSED_PEER = -1;

let lookup: UidLookup | null | undefined;

/** How the owner of a local socket is found here, or null when it cannot be (not Linux, no /proc). */
function uidLookup(): UidLookup | null {
  if (lookup !== undefined) return lookup;
  lookup = null;
  if (process.platform !== "linux") return lookup;
  try {
    lookup = sockDiagLookup();
  } catch (e) {
    log(`sock_diag unavailable (${e instanceof Error ? e.message : String(e)}); reading /proc/net/tcp instead`);
    try {
      readFileSync("/proc/net/tcp", "latin1");
      lookup = procLookup;
    } catch {
      lookup = null;
    }
  }
  return lookup;
}

/** True where connections can be checked by owner; otherwise the proxies need credentials to be private. */
export function ownerCheckAvailable(): boolean {
  return uidLookup() !== null;
}

/**
 * Credentials for the proxies when the profile sets none and connections cannot be checked by owner: random,
 * for this session only, carried in the proxy URLs kfwd exports (so the user's own clients notice nothing).
 */
export function sessionCredentials(configured: ProxyAuth | undefined): ProxyAuth | undefined {
  if (configured !== undefined || ownerCheckAvailable()) return configured;
  return { username: "kfwd", password: randomBytes(18).toString("base64url") };
}

let warned = false;

/**
 * Whether an accepted connection may be served: its peer is a socket of kfwd's own user, or not a local socket
 * at all (see above). A refused one is destroyed here, and the first refusal is logged as a warning.
 */
export function admitOwner(socket: net.Socket, what: string): boolean {
  const find = uidLookup();
  if (find === null) return true;
  const remote = endpoint(socket.remoteAddress, socket.remotePort);
  const local = endpoint(socket.localAddress, socket.localPort);
  if (!remote || !local) return refuse(socket, what, "its address is unknown");
  let uid: number | null;
  try {
    uid = find(remote, local);
  } catch (e) {
    log(`sock_diag failed (${e instanceof Error ? e.message : String(e)}); reading /proc/net/tcp`);
    uid = procLookup(remote, local);
  }
  const own = process.getuid?.() ?? CLOSED_PEER;
  if (uid === own) return true;
  // Not a local socket: a client from another machine, which only an exposed listener (credentials
  // required) can have. On loopback every client is local, so not finding it means it is gone.
  if (uid === null) return !isLoopback(local.ip) || refuse(socket, what, "its socket is gone");
  return refuse(socket, what, uid === CLOSED_PEER ? "it closed before it was served" : `owned by uid ${uid}`);
}

function refuse(socket: net.Socket, what: string, why: string): false {
  socket.destroy();
  const message = `${what}: refused a connection from ${socket.remoteAddress}:${socket.remotePort}, ${why} (only uid ${process.getuid?.()} may use this session)`;
  if (!warned && why.startsWith("owned")) {
    warned = true;
    process.stderr.write(`${yellow("kfwd: warning:")} ${message}\n`);
  } else log(message);
  return false;
}

function isLoopback(ip: Uint8Array): boolean {
  return ip.length === 4 ? ip[0] === 127 : ip.every((b, i) => b === (i === 15 ? 1 : 0));
}

function endpoint(address: string | undefined, port: number | undefined): Endpoint | undefined {
  const ip = address === undefined ? undefined : parseIp(address);
  return ip === undefined || port === undefined ? undefined : { ip, port };
}

/*
 * sock_diag (linux/inet_diag.h): one SOCK_DIAG_BY_FAMILY request for the exact socket, answered with an
 * inet_diag_msg that holds its uid, or NLMSG_ERROR (-ENOENT) when there is no such socket.
 */
const AF_INET = 2;
const AF_INET6 = 10;
const AF_NETLINK = 16;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const NETLINK_SOCK_DIAG = 4;
const SOCK_DIAG_BY_FAMILY = 20;
const NLMSG_ERROR = 2;
const NLM_F_REQUEST = 1;
const IPPROTO_TCP = 6;
const TCP_TIME_WAIT = 6;
const SOL_SOCKET = 1;
const SO_RCVTIMEO = 20;
const REQUEST_BYTES = 16 + 56; // nlmsghdr + inet_diag_req_v2
/** Offset of idiag_uid in the reply: nlmsghdr (16) + family..retrans (4) + sockid (48) + expires, rqueue, wqueue (12). */
const UID_OFFSET = 16 + 4 + 48 + 12;

export function sockDiagLookup(): UidLookup {
  // A failure here (no glibc, no inet_diag) falls back to /proc.
  const { symbols: libc } = dlopen("libc.so.6", {
    socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    setsockopt: { args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
    send: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i64_fast },
    recv: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i64_fast },
  });
  const fd = libc.socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) throw new Error("socket(AF_NETLINK, NETLINK_SOCK_DIAG) failed");
  // The kernel answers at once; the timeout only keeps a lost reply from blocking kfwd.
  const timeout = new BigInt64Array([1n, 0n]);
  libc.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, timeout, 16);
  const request = new Uint8Array(REQUEST_BYTES);
  const reply = new Uint8Array(8192);
  const replyView = new DataView(reply.buffer);
  let seq = 0;
  const find: UidLookup = (local, remote) => {
    const view = new DataView(request.buffer);
    request.fill(0);
    seq = (seq + 1) >>> 0;
    view.setUint32(0, REQUEST_BYTES, true);
    view.setUint16(4, SOCK_DIAG_BY_FAMILY, true);
    view.setUint16(6, NLM_F_REQUEST, true);
    view.setUint32(8, seq, true);
    request[16] = local.ip.length === 4 ? AF_INET : AF_INET6;
    request[17] = IPPROTO_TCP;
    view.setUint32(20, 0xffffffff, true); // every state
    view.setUint16(24, local.port, false); // idiag_sport: the socket's own port
    view.setUint16(26, remote.port, false);
    request.set(local.ip, 28); // idiag_src[4]
    request.set(remote.ip, 44); // idiag_dst[4]
    view.setUint32(64, 0xffffffff, true); // idiag_cookie: INET_DIAG_NOCOOKIE
    view.setUint32(68, 0xffffffff, true);
    if (Number(libc.send(fd, request, REQUEST_BYTES, 0)) !== REQUEST_BYTES) throw new Error("sock_diag send failed");
    for (let failures = 0; ; ) {
      const n = Number(libc.recv(fd, reply, reply.length, 0));
      // -1: most likely EINTR (a signal kfwd forwards to its command); a few tries, then /proc answers.
      if (n < 0 && ++failures < 3) continue;
      if (n < 16) throw new Error("sock_diag reply missing");
      if (replyView.getUint32(8, true) !== seq) continue; // a late reply to an earlier, timed-out query
      const type = replyView.getUint16(4, true);
      if (type === SOCK_DIAG_BY_FAMILY && n >= UID_OFFSET + 8) {
        // A time-wait entry (state 6, no inode) reports uid 0, whoever owned the socket.
        const closed = reply[17] === TCP_TIME_WAIT || replyView.getUint32(UID_OFFSET + 4, true) === 0;
        return closed ? CLOSED_PEER : replyView.getUint32(UID_OFFSET, true);
      }
      if (type === NLMSG_ERROR) return null; // -ENOENT: no such local socket
      throw new Error(`sock_diag replied with message type ${type}`);
    }
  };
  // A lookup of a socket that cannot exist proves the query works before it is relied on.
  find({ ip: Uint8Array.of(127, 0, 0, 1), port: 1 }, { ip: Uint8Array.of(127, 0, 0, 1), port: 1 });
  return find;
}

/** /proc/net/tcp{,6}: "local_address rem_address st ... uid", addresses as hex words in host (little-endian) order. */
export function procLookup(local: Endpoint, remote: Endpoint): number | null {
  const file = local.ip.length === 4 ? "/proc/net/tcp" : "/proc/net/tcp6";
  const want = `${procAddress(local)} ${procAddress(remote)} `;
  let text: string;
  try {
    text = readFileSync(file, "latin1");
  } catch {
    return null;
  }
  const at = text.indexOf(want);
  if (at < 0) return null;
  // local rem st tx:rx tr:when retrnsmt uid timeout inode
  const fields = text.slice(at, text.indexOf("\n", at)).trim().split(/\s+/);
  if (fields[2] === "06" || fields[8] === "0") return CLOSED_PEER;
  const uid = Number(fields[6]);
  return Number.isInteger(uid) ? uid : null;
}

function procAddress(e: Endpoint): string {
  let hex = "";
  for (let i = 0; i < e.ip.length; i += 4) {
    for (let j = 3; j >= 0; j--) hex += (e.ip[i + j] ?? 0).toString(16).padStart(2, "0");
  }
  return `${hex.toUpperCase()}:${e.port.toString(16).toUpperCase().padStart(4, "0")}`;
}
