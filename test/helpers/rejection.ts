import { expect } from "bun:test";
import { KfwdError } from "../../src/errors";

/** The KfwdError a promise rejects with; fails the test if it resolves or rejects with anything else. */
export async function rejection(p: Promise<unknown>): Promise<KfwdError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(KfwdError);
    return e as KfwdError;
  }
  throw new Error("expected a rejection");
}
