/**
 * Finding the owner of the local socket at the other end of an accepted connection: sock_diag and the
 * /proc/net/tcp fallback agree, for our own sockets and for another user's.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { spawn, spawnSync } from "node:child_process";
import net from "node:net";
import { parseIp } from "../../src/proxy/ip";
import { CLOSED_PEER, type Endpoint, procLookup, sockDiagLookup } from "../../src/proxy/owner";

const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;
const canSetpriv = isRoot && spawnSync("setpriv", ["--help"]).status === 0;

let server: net.Server;
let port = 0;
const accepted: net.Socket[] = [];

beforeAll(async () => {
  server = net.createServer((s) => accepted.push(s));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as net.AddressInfo).port;
});
afterAll(() => {
  for (const s of accepted) s.destroy();
  server.close();
});

/** The peer of an accepted socket, as the lookups take it: the peer's own end, then ours. */
function ends(s: net.Socket): [Endpoint, Endpoint] {
  return [
    { ip: parseIp(s.remoteAddress ?? "")!, port: s.remotePort ?? 0 },
    { ip: parseIp(s.localAddress ?? "")!, port: s.localPort ?? 0 },
  ];
}

async function nextAccepted(): Promise<net.Socket> {
  const before = accepted.length;
  while (accepted.length === before) await Bun.sleep(10);
  return accepted[accepted.length - 1]!;
}

test.skipIf(process.platform !== "linux")("our own connection: both lookups give our uid", async () => {
  const client = net.connect(port, "127.0.0.1");
  const peer = await nextAccepted();
  const uid = process.getuid?.();
  expect(sockDiagLookup()(...ends(peer))).toBe(uid!);
  expect(procLookup(...ends(peer))).toBe(uid!);
  client.destroy();
});

test.skipIf(process.platform !== "linux")("a socket that does not exist: null from both", () => {
  const nowhere: Endpoint = { ip: Uint8Array.of(127, 0, 0, 1), port: 1 };
  expect(sockDiagLookup()(nowhere, { ...nowhere, port: 2 })).toBeNull();
  expect(procLookup(nowhere, { ...nowhere, port: 2 })).toBeNull();
});

test.skipIf(process.platform !== "linux")(
  "a client that closed already: its owner is unknown, never root",
  async () => {
    // Its socket becomes a time-wait entry, which the kernel reports as uid 0 whoever owned it.
    const client = net.connect(port, "127.0.0.1");
    const peer = ends(await nextAccepted());
    client.destroy();
    let uid: number | null = 0;
    for (let i = 0; i < 100 && uid !== CLOSED_PEER; i++) {
      await Bun.sleep(20);
      uid = sockDiagLookup()(...peer);
    }
    expect(uid).toBe(CLOSED_PEER);
    expect(procLookup(...peer)).toBe(CLOSED_PEER);
  },
);

test.skipIf(!canSetpriv)("another user's connection: both lookups give its uid", async () => {
  const script = `exec 3<>/dev/tcp/127.0.0.1/${port}; sleep 30`;
  const as = [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups"];
  const other = spawn("setpriv", [...as, "bash", "-c", script], { stdio: "ignore" });
  try {
    const peer = await nextAccepted();
    expect(sockDiagLookup()(...ends(peer))).toBe(NOBODY);
    expect(procLookup(...ends(peer))).toBe(NOBODY);
  } finally {
    other.kill();
  }
});
