/** join() releases both sides however the connection ends: also when a socket ended its own writable early. */
import { afterEach, describe, expect, test } from "bun:test";
import { connect, createServer, type Server, type Socket } from "node:net";
import type { ReceiveBudget } from "../../wire/budget";
import { join } from "../../wire/join";
import type { Mux } from "../../wire/mux";
import { echo, muxPair, tick } from "./helpers";

const budgetOf = (mux: Mux): ReceiveBudget => (mux as unknown as { receiveBudget: ReceiveBudget }).receiveBudget;
const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

/** A listening server whose accepted sockets go to `onSocket`; resolves with its port. */
async function listen(onSocket: (s: Socket) => void, allowHalfOpen: boolean): Promise<number> {
  const server: Server = createServer({ allowHalfOpen }, onSocket);
  cleanup.push(() => server.close());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as { port: number }).port;
}

describe("join", () => {
  test("a socket that ends its writable on its client's FIN still lets the tunnel stream end and be released", async () => {
    const { client, agent } = muxPair({ onStream: echo() });
    cleanup.push(
      () => client.close(),
      () => agent.close(),
    );
    await client.ready;
    const joined: Promise<void>[] = [];
    const port = await listen((socket) => {
      joined.push(client.open({ host: "echo", port: 7 }).then((stream) => join(socket, stream)));
    }, false);
    for (let i = 0; i < 5; i++) {
      await new Promise<void>((resolve, reject) => {
        const c = connect({ host: "127.0.0.1", port }, () => c.write("x"));
        c.once("data", () => c.end());
        c.once("close", () => resolve());
        c.once("error", reject);
      });
    }
    await Promise.all(joined);
    await tick(10);
    expect(budgetOf(client).admitted).toBe(0);
  });
});
