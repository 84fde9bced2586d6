/** The intercept table kept on a Service (wire/intercept.ts): who joins, who may share, and what leaving restores. */
import { describe, expect, test } from "bun:test";
import {
  filterMatches,
  INTERCEPT_ANNOTATION,
  type InterceptEntry,
  joinService,
  leaveService,
  readTable,
  readyPortFor,
  type ServiceObject,
} from "../../wire/intercept";
import { KfwdError } from "../../wire/kfwd-error";

const original = (): ServiceObject => ({
  metadata: { name: "checkout", resourceVersion: "7", annotations: { team: "shop" } },
  spec: { selector: { app: "checkout" } },
});
const entry = (over: Partial<InterceptEntry> = {}): InterceptEntry => ({
  mode: "steal",
  ip: "10.0.0.5",
  pod: "kfwd-agent-a",
  lease: "kfwd-incoming-a",
  owner: "alice",
  since: "2026-01-01T00:00:00Z",
  ...over,
});
const alice = entry({ filter: { header: { name: "x-dev-user", value: "alice", regex: false } } });
const bob = entry({
  ip: "10.0.0.6",
  owner: "bob",
  filter: { header: { name: "x-dev-user", value: "bob", regex: false } },
});
const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    return e instanceof KfwdError ? e.code : String(e);
  }
  return undefined;
};

describe("joinService / leaveService", () => {
  test("the first session records the selector, switches it, and keeps other annotations and the version", () => {
    const svc = joinService(original(), "a", alice);
    expect(svc.spec.selector).toEqual({ "intercept.kfwd.dev/checkout": "true" });
    expect(svc.metadata.resourceVersion).toBe("7");
    expect(svc.metadata.annotations?.team).toBe("shop");
    const table = readTable(svc.metadata.annotations, "checkout");
    expect(table?.selector).toEqual({ app: "checkout" });
    expect(Object.keys(table?.sessions ?? {})).toEqual(["a"]);
  });

  test("filtered steal sessions share; the last one leaving puts the selector back and drops the table", () => {
    const both = joinService(joinService(original(), "a", alice), "b", bob);
    expect(Object.keys(readTable(both.metadata.annotations, "checkout")!.sessions).sort()).toEqual(["a", "b"]);
    const afterA = leaveService(both, "a")!;
    expect(afterA.spec.selector).toEqual({ "intercept.kfwd.dev/checkout": "true" });
    expect(Object.keys(readTable(afterA.metadata.annotations, "checkout")!.sessions)).toEqual(["b"]);
    const afterB = leaveService(afterA, "b")!;
    expect(afterB.spec.selector).toEqual({ app: "checkout" });
    expect(afterB.metadata.annotations).toEqual({ team: "shop" });
  });

  test("joining again (a reconnect) refreshes the entry, not a conflict", () => {
    const svc = joinService(joinService(original(), "a", alice), "a", { ...alice, ip: "10.0.0.9" });
    expect(readTable(svc.metadata.annotations, "checkout")?.sessions.a?.ip).toBe("10.0.0.9");
  });

  test("an unfiltered steal, a mirror or an unfiltered newcomer holds the Service alone", () => {
    const stolen = joinService(original(), "s", entry());
    expect(codeOf(() => joinService(stolen, "b", bob))).toBe("KFWD_INCOMING_TAKEN");
    const mirrored = joinService(original(), "m", entry({ mode: "mirror" }));
    expect(codeOf(() => joinService(mirrored, "b", bob))).toBe("KFWD_INCOMING_TAKEN");
    const shared = joinService(original(), "a", alice);
    expect(codeOf(() => joinService(shared, "s", entry()))).toBe("KFWD_INCOMING_TAKEN");
    expect(codeOf(() => joinService(shared, "m", { ...bob, mode: "mirror" }))).toBe("KFWD_INCOMING_TAKEN");
  });

  test("the refusal names the holder and the fix", () => {
    const stolen = joinService(original(), "s", entry());
    try {
      joinService(stolen, "b", bob);
      throw new Error("joined");
    } catch (e) {
      expect((e as KfwdError).message).toContain("session s (alice, steal)");
      expect((e as KfwdError).hint).toContain("filter");
    }
  });

  test("leaving a Service this session does not hold changes nothing", () => {
    expect(leaveService(original(), "a")).toBeUndefined();
    expect(leaveService(joinService(original(), "a", alice), "b")).toBeUndefined();
  });
});

describe("readTable", () => {
  test("no annotation: not intercepted", () => {
    expect(readTable({ team: "shop" }, "checkout")).toBeUndefined();
    expect(readTable(undefined, "checkout")).toBeUndefined();
  });

  test("a table edited by hand is refused with what to do", () => {
    for (const text of [
      "{",
      '{"v":2}',
      '{"v":1,"selector":{"app":1},"sessions":{}}',
      '{"v":1,"selector":{},"sessions":{"a":{"ip":"x"}}}',
    ])
      expect(codeOf(() => readTable({ [INTERCEPT_ANNOTATION]: text }, "checkout"))).toBe(
        "KFWD_INTERCEPT_TABLE_INVALID",
      );
  });
});

describe("filterMatches", () => {
  const headers =
    (h: Record<string, string[]>) =>
    (name: string): readonly string[] =>
      h[name] ?? [];

  test("exact header value, any of several values", () => {
    const f = { header: { name: "x-dev-user", value: "alice", regex: false } };
    expect(filterMatches(f, "/", headers({ "x-dev-user": ["bob", "alice"] }))).toBe(true);
    expect(filterMatches(f, "/", headers({ "x-dev-user": ["alice2"] }))).toBe(false);
    expect(filterMatches(f, "/", headers({}))).toBe(false);
  });

  test("regex value, path prefix, and both at once", () => {
    const re = { header: { name: "x-dev-user", value: "^al", regex: true } };
    expect(filterMatches(re, "/", headers({ "x-dev-user": ["alex"] }))).toBe(true);
    expect(filterMatches(re, "/", headers({ "x-dev-user": ["sal"] }))).toBe(false);
    expect(filterMatches({ path: "/api/" }, "/api/v1", headers({}))).toBe(true);
    expect(filterMatches({ path: "/api/" }, "/apix", headers({}))).toBe(false);
    const both = { ...re, path: "/api/" };
    expect(filterMatches(both, "/api/x", headers({ "x-dev-user": ["al"] }))).toBe(true);
    expect(filterMatches(both, "/web", headers({ "x-dev-user": ["al"] }))).toBe(false);
  });
});

test("the readiness port is apart from every data port", () => {
  expect(readyPortFor([8080])).toBe(15021);
  expect(readyPortFor([15021, 15022, 80])).toBe(15023);
});
