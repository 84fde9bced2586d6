/**
 * A `[[forward]]` keeps TCP's meaning: a client that half-closes still gets its reply, and connections that the
 * client closes first give their stream back, so a long-lived session keeps opening new ones.
 * The compiled kfwd as a background session, a local agent in a namespace.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { canMakeNetns, NAMES, PORTS, startFakeCluster, type FakeCluster } from "../../helpers/fake-cluster";
import { kfwd, localProfile } from "../../helpers/kfwd";
import { freePort } from "../../helpers/ports";

const SINK_FORWARD = await freePort();
const ECHO_FORWARD = await freePort();

/** Sends `body`, half-closes, and resolves with everything the other side sent until it closed. */
function sendThenHalfClose(port: number, body: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = "";
    const socket = connect({ host: "127.0.0.1", port, allowHalfOpen: true }, () => socket.end(body));
    socket.setEncoding("latin1").on("data", (d: string) => (got += d));
    socket.once("error", reject);
    socket.once("close", () => resolve(got));
  });
}

/** One byte there and back, then the client closes (as curl does once it has its response). */
function echoOnce(port: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} got no echo within 10 s`)), 10_000);
    const socket = connect({ host: "127.0.0.1", port }, () => socket.write("x"));
    socket.once("data", () => {
      clearTimeout(timer);
      socket.end();
      resolve();
    });
    socket.once("error", reject);
  });
}

describe.skipIf(!canMakeNetns())("a forward keeps TCP's meaning", () => {
  let cluster: FakeCluster;
  let xdg: string;

  beforeAll(async () => {
    cluster = await startFakeCluster();
    xdg = mkdtempSync(join(tmpdir(), "kfwd-xdg-"));
    const profile = localProfile(
      cluster.netns,
      `\n[[forward]]\nlocal = ${SINK_FORWARD}\nremote = "${NAMES.echo}:${PORTS.sink}"\n` +
        `\n[[forward]]\nlocal = ${ECHO_FORWARD}\nremote = "${NAMES.echo}:${PORTS.echo}"\n`,
    );
    expect((await kfwd(["up", profile], { env: { XDG_RUNTIME_DIR: xdg } })).code).toBe(0);
  });
  afterAll(async () => {
    await kfwd(["down", "--all"], { env: { XDG_RUNTIME_DIR: xdg } });
    await cluster?.stop();
    rmSync(xdg, { recursive: true, force: true });
  });

  test("a client that half-closes still gets the reply sent after its FIN", async () => {
    // The sink answers only once it has read to the client's FIN: the reply always follows the half-close.
    const body = Buffer.alloc(256 * 1024, 7);
    const reply = await sendThenHalfClose(SINK_FORWARD, body);
    expect(reply).toBe(createHash("sha256").update(body).digest("hex"));
  }, 30_000);

  test("3,000 connections closed by their client, one after another: every one gets through", async () => {
    // More than the session's 2,048 stream slots: a connection that did not give its slot back would make a
    // later one wait forever.
    for (let i = 1; i <= 3_000; i++) await echoOnce(ECHO_FORWARD, `connection ${i}`);
  }, 120_000);
});
