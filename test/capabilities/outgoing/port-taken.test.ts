/**
 * A forward or proxy port that is taken stops kfwd before its command starts, with an error that names the port
 * and what to do — and, for a port in the ephemeral range, why it may be free one day and taken the next.
 * The compiled kfwd with a local target; the port is held by a listener of this test.
 */
import { afterEach, expect, test } from "bun:test";
import { createServer, type AddressInfo, type Server } from "node:net";
import { ephemeralRange } from "../../../src/proxy/port-taken";
import { kfwd, writeProfile } from "../../helpers/kfwd";
import { freePort } from "../../helpers/ports";

let held: Server | undefined;
afterEach(() => held?.close());

/** Holds `port` (0: one the kernel picks, in its ephemeral range) and returns it. */
async function hold(port: number): Promise<number> {
  held = createServer();
  await new Promise<void>((resolve) => held!.listen(port, "127.0.0.1", resolve));
  return (held.address() as AddressInfo).port;
}

const range = ephemeralRange();

test("a forward's port taken below the ephemeral range: kfwd says so and runs nothing", async () => {
  const port = await hold(await freePort());
  const profile = writeProfile(`[target]\nlocal = true\n[[forward]]\nlocal = ${port}\nremote = "db:5432"\n`);
  const r = await kfwd(["run", profile, "--", "sh", "-c", "echo child ran"]);
  expect(r.code).toBe(1);
  expect(r.stdout).toBe("");
  expect(r.stderr).toContain(`Cannot listen on 127.0.0.1:${port} for forward db:5432: the port is in use`);
  expect(r.stderr).toContain("hint: Pick another `local` port in the profile's [[forward]].");
  expect(r.stderr).not.toContain("ephemeral");
});

test.skipIf(range === undefined)(
  "a forward's port in the ephemeral range: the hint says why it is taken only at times",
  async () => {
    const port = await hold(0);
    const profile = writeProfile(`[target]\nlocal = true\n[[forward]]\nlocal = ${port}\nremote = "db:5432"\n`);
    const r = await kfwd(["run", profile, "--", "true"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Port ${port} is in this machine's ephemeral range (${range!.first}–${range!.last})`);
    expect(r.stderr).toContain(`pick one below ${range!.first}`);
  },
);

test.skipIf(range === undefined)(
  "a proxy's port in the ephemeral range: the same hint, after the proxy's own",
  async () => {
    const port = await hold(0);
    const profile = writeProfile(`[target]\nlocal = true\n[proxy]\nsocks = "127.0.0.1:${port}"\n`);
    const r = await kfwd(["run", profile, "--", "sh", "-c", "echo child ran"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("EADDRINUSE");
    expect(r.stderr).toContain("hint: Pick another port, or 0 to let kfwd choose a free one. Port");
    expect(r.stderr).toContain(`pick one below ${range!.first}`);
  },
);
