import { describe, expect, test } from "bun:test";
import type { KfwdError } from "../../src/errors";
import { echo, muxPair, readAll } from "./helpers";

describe("stream kinds (protocol version 2)", () => {
  test("the agent opens a stream of a kind the host takes; the host sees the kind and the destination", async () => {
    const seen: string[] = [];
    const { agent } = muxPair(
      {},
      {
        streamKinds: ["incoming"],
        onStream: (request) => {
          seen.push(`${request.kind} ${request.target.host}:${request.target.port}`);
          echo()(request);
        },
      },
    );
    const stream = await agent.open({ host: "10.0.0.7", port: 8080 }, "incoming");
    expect(stream.id % 2).toBe(0);
    stream.end("ping");
    expect((await readAll(stream)).toString()).toBe("ping");
    expect(seen).toEqual(["incoming 10.0.0.7:8080"]);
  });

  test("a kind the peer did not announce fails before anything is sent", async () => {
    const { agent } = muxPair({}, { streamKinds: ["incoming"], onStream: echo() });
    const error = (await agent.open({ host: "h", port: 1 }, "files").catch((e: unknown) => e)) as KfwdError;
    expect(error.code).toBe("KFWD_STREAM_UNSUPPORTED");
  });

  test("a version 1 peer never gets a kind: opening one fails clearly", async () => {
    const { agent } = muxPair({}, { protocolVersion: 1, streamKinds: ["incoming"], onStream: echo() });
    const error = (await agent.open({ host: "h", port: 1 }, "incoming").catch((e: unknown) => e)) as KfwdError;
    expect(error.code).toBe("KFWD_STREAM_UNSUPPORTED");
  });

  test("plain dials still work against a side that takes only other kinds: refused with a reason", async () => {
    const { agent } = muxPair({}, { streamKinds: ["incoming"], onStream: echo() });
    const error = (await agent.open({ host: "h", port: 1 }).catch((e: unknown) => e)) as KfwdError;
    expect(error.code).toBe("KFWD_DIAL_REFUSED");
    expect(error.message).toContain('accepts no "dial" streams');
  });
});
