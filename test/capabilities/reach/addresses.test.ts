import { describe, expect, test } from "bun:test";
import { findAddresses, replaceAddresses } from "../../../src/capabilities/reach/addresses";

const rewrite = (value: string, port = 41000): string =>
  replaceAddresses(
    value,
    findAddresses(value, { bareHost: false }).map((found, i) => ({ found, host: "127.0.0.1", port: port + i })),
  );

describe("addresses in env values", () => {
  test("a URL keeps scheme, user, password, path, query and fragment; only host:port changes", () => {
    expect(rewrite("postgres://app:p%40ss:w@db.shop.svc.cluster.local:5432/orders?sslmode=disable#x")).toBe(
      "postgres://app:p%40ss:w@127.0.0.1:41000/orders?sslmode=disable#x",
    );
  });

  test("a URL without a port gets its scheme's port as the destination", () => {
    const [found] = findAddresses("http://api.shop/v1/", { bareHost: false });
    expect(found).toMatchObject({ host: "api.shop", port: 80, scheme: "http" });
    expect(rewrite("http://api.shop/v1/")).toBe("http://127.0.0.1:41000/v1/");
    expect(findAddresses("redis://cache", { bareHost: false })[0]?.port).toBe(6379);
  });

  test("several hosts in one URL, and host:port lists", () => {
    expect(rewrite("postgres://a.svc:5432,b.svc:5433/db")).toBe("postgres://127.0.0.1:41000,127.0.0.1:41001/db");
    expect(rewrite("kafka-0.kafka:9092,kafka-1.kafka:9092")).toBe("127.0.0.1:41000,127.0.0.1:41001");
  });

  test("IPv6 literals and service-link URLs", () => {
    expect(findAddresses("tcp://[fd00::12]:6379", { bareHost: false })[0]).toMatchObject({ host: "fd00::12" });
    expect(rewrite("tcp://10.96.0.12:6379")).toBe("tcp://127.0.0.1:41000");
  });

  test("values that are not addresses hold none", () => {
    for (const value of ["debug", "12:30", "a b:80", " db:5432", "/var/run/x.sock", "true", "1.5", ""])
      expect(findAddresses(value, { bareHost: false })).toEqual([]);
  });

  test("a bare host counts only when asked for", () => {
    expect(findAddresses("db.shop", { bareHost: false })).toEqual([]);
    expect(findAddresses("db.shop", { bareHost: true })[0]).toMatchObject({ host: "db.shop", port: undefined });
    expect(findAddresses("10.96.0.12", { bareHost: true })[0]).toMatchObject({ host: "10.96.0.12" });
  });
});
