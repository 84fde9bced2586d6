/**
 * Keeps socket reads small when a session carries many streams. Bun reads everything the kernel holds for a TCP
 * socket in one go (up to 512 KiB), and a stream whose peer stopped granting credit keeps that read queued. With
 * thousands of such streams those reads, not the budgets, are what fills memory: ~280 KB per stream in the
 * agent with 2,000 unread downloads. Shrinking the socket's kernel receive buffer (SO_RCVBUF) bounds each read
 * to about twice its size (Linux doubles the value), and leaves the rest with the sender, where TCP's own flow
 * control holds it. Node and Bun have no API for it, so it is one setsockopt(2) through bun:ffi; where that is
 * unavailable (not Linux, no libc to open) reads are simply not capped.
 */
import { dlopen, FFIType, ptr } from "bun:ffi";

const SOL_SOCKET = 1; // Linux
const SO_RCVBUF = 8;

type SetSockOpt = (fd: number, level: number, name: number, value: ReturnType<typeof ptr>, size: number) => number;
let setsockopt: SetSockOpt | null | undefined;

function load(): SetSockOpt | null {
  if (process.platform !== "linux") return null;
  for (const name of ["libc.so.6", "libc.musl-x86_64.so.1", "libc.musl-aarch64.so.1", "libc.so"]) {
    try {
      const lib = dlopen(name, {
        setsockopt: { args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
      });
      return lib.symbols.setsockopt as SetSockOpt;
    } catch {
      // try the next name
    }
  }
  return null;
}

/** Sets the kernel receive buffer of the socket `fd` to `bytes`; false if it could not be set. */
export function capReceiveBuffer(fd: number | undefined, bytes: number | undefined): boolean {
  if (fd === undefined || fd < 0 || bytes === undefined) return false;
  if (setsockopt === undefined) setsockopt = load();
  if (!setsockopt) return false;
  const value = new Int32Array([bytes]);
  return setsockopt(fd, SOL_SOCKET, SO_RCVBUF, ptr(value), 4) === 0;
}

/** The file descriptor of a node:net socket (Bun exposes it on the handle), if it has one. */
export function socketFd(socket: unknown): number | undefined {
  const fd = (socket as { _handle?: { fd?: unknown } } | null)?._handle?.fd;
  return typeof fd === "number" ? fd : undefined;
}
