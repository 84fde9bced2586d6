/** Errors that come back in REPLY bodies are checked where they enter: known codes kept, others named. */
import { expect, test } from "bun:test";
import { KfwdError } from "../../src/errors";
import { KfwdErrorBase } from "../../wire/kfwd-error";
import { muxPair } from "./helpers";

const failing = (error: Error) =>
  muxPair({
    handlers: {
      resolve: () => {
        throw error;
      },
    },
  }).client;

test("a known code from the agent arrives as is, with message and hint", async () => {
  const client = failing(new KfwdError("KFWD_RESOLVE_NAME_NOT_FOUND", 'Cannot resolve "db"', "check it"));
  const error = await client.call("resolve", { name: "db" }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(KfwdError);
  expect(error).toMatchObject({
    code: "KFWD_RESOLVE_NAME_NOT_FOUND",
    message: 'Cannot resolve "db"',
    hint: "check it",
  });
});

test("a code this build does not know arrives as KFWD_CALL_FAILED naming the peer's code", async () => {
  const client = failing(new KfwdErrorBase("E_FROM_ANOTHER_BUILD", "Cannot do it", "a hint"));
  const error = await client.call("resolve", { name: "db" }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(KfwdError);
  expect(error).toMatchObject({
    code: "KFWD_CALL_FAILED",
    message: "Cannot do it (the peer's code: E_FROM_ANOTHER_BUILD)",
    hint: "a hint",
  });
});

test("an error without a KfwdError's shape is KFWD_CALL_FAILED with the method named", async () => {
  const error = await failing(new Error("boom"))
    .call("resolve", { name: "db" })
    .catch((e: unknown) => e);
  expect(error).toMatchObject({ code: "KFWD_CALL_FAILED", message: 'Call "resolve" failed: boom' });
});
