/**
 * The part of transparent mode that runs inside the command's own user, network and mount namespaces (made by
 * `unshare`, no privileges needed): kfwd re-runs itself there as the hidden `_netns` command, which
 *  1. brings up loopback, routes every address to it and adds iptables rules that send every TCP connection
 *     not for loopback to one local port, and every DNS query (UDP 53) to its own resolver;
 *  2. binds a resolv.conf naming that resolver over /etc/resolv.conf (in its mount namespace only);
 *  3. connects to the session's relay over a unix socket (file system paths cross network namespaces) and
 *     speaks the wire protocol there: each redirected connection becomes a stream to its original destination
 *     (SO_ORIGINAL_DST), each DNS question a `resolve` call answered by the agent, and streams the relay opens
 *     toward it reach the ports the command listens on;
 *  4. runs the command, passes it signals, and exits with its exit code.
 */
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { Mux } from "../../../wire/index";
import { streamTransport } from "../../../wire/stream-transport";
import { formatHostPort } from "../../../wire/net";
import { KfwdError } from "../../errors";
import { debug } from "../../ui/log";
import { runChild } from "../../session/child";
import { splice } from "../../proxy/splice";
import { startResolver } from "./dns";
import { originalDestination } from "./original-dst";
import { LOOPBACK_KIND } from "./relay";
import { findTool } from "./tools";

const log = debug("transparent");

export interface InsideOptions {
  relaySocket: string;
  resolvConf: string;
  /** The session's ports on the host's loopback (proxies, forwards): listened on inside too, and relayed. */
  loopbackPorts: readonly number[];
  /** Host paths to bind over paths inside: [source, target] (the pod's files at their own paths). */
  binds: ReadonlyArray<readonly [string, string]>;
  command: readonly string[];
}

export async function runInside(options: InsideOptions): Promise<number> {
  const redirect = await listenForRedirects();
  setUpNetwork(redirect.port);
  const scratch = bindAll(options.binds, dirname(options.relaySocket));
  run("mount", ["--bind", options.resolvConf, "/etc/resolv.conf"]);

  const socket = await connectRelay(options.relaySocket);
  const mux = new Mux(streamTransport(socket, socket), {
    role: "client",
    keepaliveMs: 0,
    info: {
      pid: String(process.pid),
      // Ports the helper itself listens on inside: not the command's, so not published on the host.
      ownPorts: [redirect.port, ...options.loopbackPorts].join(","),
    },
    // The relay opens streams toward ports the command listens on (a host port published for it).
    onStream: (open) => {
      const inner = createConnection({ host: "127.0.0.1", port: open.target.port, allowHalfOpen: true });
      inner.once("connect", () => void splice(inner, open.accept()));
      inner.once("error", () => open.reject(1, `nothing listens on port ${open.target.port} inside`));
    },
  });
  await mux.ready;
  redirect.server.on("connection", (client: Socket) => {
    const fd = (client as unknown as { _handle?: { fd?: number } })._handle?.fd;
    // The listener is dual-stack: an IPv4 connection shows as ::ffff:a.b.c.d but keeps an IPv4 original.
    const dest = fd === undefined ? undefined : (originalDestination(fd, "IPv4") ?? originalDestination(fd, "IPv6"));
    if (!dest) return void client.destroy();
    client.pause();
    log(`captured a connection to ${formatHostPort(dest)}`);
    mux.open(dest).then(
      (stream) => {
        log(`stream open to ${formatHostPort(dest)}`);
        void splice(client, stream);
      },
      (error: Error) => {
        log(`${formatHostPort(dest)}: ${error.message}`);
        client.resetAndDestroy();
      },
    );
  });
  const mirrors = await Promise.all(options.loopbackPorts.map((port) => mirrorLoopback(port, mux)));
  const resolver = await startResolver((name) => mux.call("resolve", { name }));
  try {
    return await runChild(options.command, process.env);
  } finally {
    resolver.close();
    for (const mirror of mirrors) mirror.close();
    redirect.server.close();
    if (scratch) {
      run("umount", ["--lazy", scratch], false);
      rmSync(scratch, { recursive: true, force: true });
    }
    mux.close("command ended");
  }
}

/**
 * Loopback is the namespace's own, so the session's proxies and forwards on the host's loopback would be out of
 * reach from inside: each gets a listener on the same port inside that relays to it ("loopback" streams).
 */
async function mirrorLoopback(port: number, mux: Mux): Promise<Server> {
  const server = createServer({ allowHalfOpen: true, noDelay: true }, (client) => {
    client.pause();
    mux.open({ host: "127.0.0.1", port }, LOOPBACK_KIND).then(
      (stream) => void splice(client, stream),
      () => client.resetAndDestroy(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  return server;
}

/** One port takes every redirected connection; any free one (the command may want the usual ones). */
async function listenForRedirects(): Promise<{ server: Server; port: number }> {
  const server = createServer({ allowHalfOpen: true, noDelay: true });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port: 0, host: "::", ipv6Only: false }, () => resolve());
  });
  const address = server.address();
  if (typeof address !== "object" || address === null) throw new Error("the redirect listener has no port");
  return { server, port: address.port };
}

/**
 * The namespace's own address, used as the source of the command's connections: without one, a socket bound to
 * no address gets source 0.0.0.0 and the redirected connection's replies go nowhere. From the documentation
 * ranges (RFC 5737, RFC 3849), so it never shadows a real address the command may want to reach.
 */
const OWN_V4 = "192.0.2.1";
const OWN_V6 = "2001:db8::1";

/**
 * Each host copy over its container path, so programs with hard-coded paths read the pod's files. A path that
 * does not exist here (/etc/config, /var/run/secrets/..., /secrets) needs a directory that only this mount
 * namespace sees: its nearest existing parent is replaced by a tmpfs holding the same entries (each bound back
 * from the original), where the missing directories can be made; for a path right under `/`, the whole root
 * is built that way and entered with pivot_root. Overlayfs would be simpler, but it refuses a lower directory
 * with mounts under it (/run, /var) in a user namespace. Nothing changes outside this namespace.
 * Returns the scratch directory (a tmpfs in kfwd's state directory), if one was needed.
 */
function bindAll(binds: ReadonlyArray<readonly [string, string]>, stateDir: string): string | undefined {
  if (binds.length === 0) return undefined;
  const scratch = mkdtempSync(join(stateDir, "mounts-"));
  run("mount", ["-t", "tmpfs", "tmpfs", scratch]);
  const underRoot = binds.some(([, target]) => !existsSync(target) && existingAncestor(target) === "/");
  // Where "/" is while the binds are made: the real root, or the new one entered at the end.
  const root = underRoot ? join(scratch, "root") : "";
  if (underRoot) {
    mkdirSync(root);
    run("mount", ["-t", "tmpfs", "tmpfs", root]);
    mirrorEntries("/", root);
  }
  const mirrored = new Set<string>(underRoot ? ["/"] : []);
  for (const [source, target] of binds) {
    if (!existsSync(root + target)) {
      const anchor = existingAncestor(target, root);
      if (!mirrored.has(anchor)) {
        const original = join(scratch, `original-${mirrored.size}`);
        mkdirSync(original);
        run("mount", ["--rbind", root + anchor, original]);
        run("mount", ["-t", "tmpfs", "tmpfs", root + anchor]);
        mirrorEntries(original, root + anchor);
        mirrored.add(anchor);
      }
      if (statSync(source).isDirectory()) mkdirSync(root + target, { recursive: true });
      else {
        mkdirSync(dirname(root + target), { recursive: true });
        writeFileSync(root + target, "");
      }
    }
    run("mount", ["--bind", source, root + target]);
  }
  if (underRoot) {
    const cwd = process.cwd();
    const old = join(root, ".kfwd-old-root");
    mkdirSync(old);
    run("pivot_root", [root, old]);
    run("umount", ["--lazy", "/.kfwd-old-root"]);
    rmSync("/.kfwd-old-root", { recursive: true, force: true });
    process.chdir(existsSync(cwd) ? cwd : "/");
  }
  return scratch;
}

/** Every entry of `from` made again in `to` (a fresh tmpfs): links copied, files and directories bound. */
function mirrorEntries(from: string, to: string): void {
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    const target = join(to, entry.name);
    if (entry.isSymbolicLink()) symlinkSync(readlinkSync(source), target);
    else if (entry.isDirectory()) {
      mkdirSync(target, { recursive: true });
      run("mount", ["--rbind", source, target]);
    } else {
      if (!existsSync(target)) writeFileSync(target, "");
      run("mount", ["--bind", source, target], false); // sockets and devices may refuse: they are left out
    }
  }
}

/** The deepest existing ancestor of `path`, looked up under `root` (the new root while it is built). */
function existingAncestor(path: string, root = ""): string {
  let at = dirname(path);
  while (at !== "/" && !existsSync(root + at)) at = dirname(at);
  return at;
}

function setUpNetwork(redirectPort: number): void {
  run("ip", ["link", "set", "lo", "up"]);
  run("ip", ["addr", "add", `${OWN_V4}/32`, "dev", "lo"]);
  run("ip", ["route", "add", "default", "dev", "lo", "src", OWN_V4]);
  const port = String(redirectPort);
  run("iptables", [
    "-t",
    "nat",
    "-A",
    "OUTPUT",
    "-p",
    "tcp",
    "!",
    "-d",
    "127.0.0.0/8",
    "-j",
    "REDIRECT",
    "--to-ports",
    port,
  ]);
  run("iptables", ["-t", "nat", "-A", "OUTPUT", "-p", "udp", "--dport", "53", "-j", "REDIRECT", "--to-ports", "53"]);
  // IPv6 is best effort: a kernel without it (or without ip6tables) still gets IPv4 captured.
  if (
    run("ip", ["-6", "addr", "add", `${OWN_V6}/128`, "dev", "lo", "nodad"], false) &&
    run("ip", ["-6", "route", "add", "default", "dev", "lo", "src", OWN_V6], false)
  ) {
    run(
      "ip6tables",
      ["-t", "nat", "-A", "OUTPUT", "-p", "tcp", "!", "-d", "::1/128", "-j", "REDIRECT", "--to-ports", port],
      false,
    );
  }
}

function run(tool: string, args: string[], required = true): boolean {
  const result = spawnSync(findTool(tool) ?? tool, args, { encoding: "utf8" });
  if (result.status === 0) return true;
  if (!required) return false;
  throw new KfwdError(
    "KFWD_TRANSPARENT_SETUP",
    `Cannot set up transparent mode: ${tool} ${args.join(" ")} failed: ${(result.stderr || result.error?.message || "").trim()}`,
    "Run `kfwd doctor <profile>` to see whether this machine supports it; without it, leave out --transparent.",
  );
}

function connectRelay(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ path });
    socket.once("connect", () => resolve(socket));
    socket.once("error", reject);
  });
}
