import { describe, expect, test } from "bun:test";
import { parseDuration, parseHostPort } from "../../src/profile/index";
import { isLoopbackHost, isQuantity } from "../../src/profile/values";

describe("parseDuration", () => {
  test("units and combinations", () => {
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration("30s")).toBe(30_000);
    expect(parseDuration("2m")).toBe(120_000);
    expect(parseDuration("1h")).toBe(3_600_000);
    expect(parseDuration("1m30s")).toBe(90_000);
    expect(parseDuration("1.5s")).toBe(1500);
  });
  test.each(["", "30", "s", "30x", "-1s", "30 s", "1m 30s", "1.s"])("rejects %p with a hint", (text) => {
    expect(() => parseDuration(text)).toThrow(/Cannot parse duration/);
    try {
      parseDuration(text);
    } catch (e) {
      expect((e as { code: string }).code).toBe("KFWD_INVALID_VALUE");
      expect((e as { hint: string }).hint).toContain('"30s"');
    }
  });
});

describe("parseHostPort", () => {
  test("names, IPv4, bracketed IPv6", () => {
    expect(parseHostPort("postgres.db:5432")).toEqual({ host: "postgres.db", port: 5432 });
    expect(parseHostPort("10.0.0.7:80")).toEqual({ host: "10.0.0.7", port: 80 });
    expect(parseHostPort("[::1]:8080")).toEqual({ host: "::1", port: 8080 });
  });
  test("port 0 only for listen addresses", () => {
    expect(() => parseHostPort("127.0.0.1:0")).toThrow(/ports are 1\.\.65535/);
    expect(parseHostPort("127.0.0.1:0", { allowPortZero: true })).toEqual({ host: "127.0.0.1", port: 0 });
  });
  test.each(["db", "db:", ":80", "db:65536", "::1:80", "[db]:80", "a b:80", "db:80:90", "db:x"])(
    "rejects %p",
    (text) => {
      expect(() => parseHostPort(text)).toThrow(/Cannot (parse address|use port)/);
    },
  );
});

test("loopback hosts", () => {
  for (const h of ["127.0.0.1", "127.1.2.3", "::1", "localhost"]) expect(isLoopbackHost(h)).toBe(true);
  for (const h of ["0.0.0.0", "10.0.0.1", "::", "example.com"]) expect(isLoopbackHost(h)).toBe(false);
});

test("quantities", () => {
  for (const q of ["500m", "1", "0.5", "128Mi", "1G"]) expect(isQuantity(q)).toBe(true);
  for (const q of ["", "128MB", "-1", "1 Gi"]) expect(isQuantity(q)).toBe(false);
});
