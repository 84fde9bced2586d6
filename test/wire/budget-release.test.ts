/** A stream's slot in the receive budget comes back however the stream ends — also after a clean close. */
import { describe, expect, test } from "bun:test";
import type { ReceiveBudget } from "../../wire/budget";
import type { Mux } from "../../wire/mux";
import { echo, muxPair, readAll, tick } from "./helpers";

const budgetOf = (mux: Mux): ReceiveBudget => (mux as unknown as { receiveBudget: ReceiveBudget }).receiveBudget;

describe("receive budget slots", () => {
  test.each([false, true])(
    "streams that end cleanly both ways give their slot back, on both sides (early: %p)",
    async (early) => {
      const { client, agent } = muxPair({ onStream: echo() });
      await client.ready;
      for (let i = 0; i < 20; i++) {
        const stream = await client.open({ host: "example", port: 80 }, undefined, { early });
        const reply = readAll(stream);
        stream.end(Buffer.alloc(64 * 1024, i));
        expect((await reply).length).toBe(64 * 1024);
      }
      await tick(20);
      expect(budgetOf(client).admitted).toBe(0);
      expect(budgetOf(agent).admitted).toBe(0);
      client.close();
      agent.close();
    },
  );
});
