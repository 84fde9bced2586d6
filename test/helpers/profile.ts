import { KfwdError } from "../../src/errors";
import { parseProfile, type Profile } from "../../src/profile/index";

export const FILE = "/home/dev/shop/profile.toml";

/** Loads `text` as a profile that must be valid. */
export function ok(text: string): Profile {
  return parseProfile(text, FILE);
}

/** The KfwdError a profile that must be invalid throws. */
export function fail(text: string): KfwdError {
  try {
    parseProfile(text, FILE);
  } catch (e) {
    if (e instanceof KfwdError) return e;
    throw e;
  }
  throw new Error("expected the profile to be rejected");
}

/** The problem lines of an invalid profile (the message's first line is the summary). */
export function problems(text: string): string[] {
  return fail(text).message.split("\n").slice(1);
}

/** Exactly one problem, returned. */
export function problem(text: string): string {
  const all = problems(text);
  if (all.length !== 1) throw new Error(`expected one problem, got:\n${all.join("\n")}`);
  return all[0] ?? "";
}
