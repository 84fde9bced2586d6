import { describe, expect, test } from "bun:test";
import net from "node:net";
import { DIAL_ERROR, type Dialer, directDialer } from "../../src/proxy/dialer";
import { formatIpv6, parseCidr, parseIp } from "../../src/proxy/ip";
import { DEFAULT_DIRECT, RouteTable, routeRuleProblem, routingDialer } from "../../src/proxy/routes";
import { closeServer, listenLocal } from "./helpers/servers";

describe("RouteTable", () => {
  test("defaults: loopback direct, everything else to the cluster", () => {
    const t = new RouteTable({ cluster: [], direct: [] });
    expect(DEFAULT_DIRECT).toEqual(["localhost", "*.localhost", "127.0.0.0/8", "::1"]);
    for (const h of [
      "localhost",
      "LOCALHOST.",
      "app.localhost",
      "127.0.0.1",
      "127.9.9.9",
      "::1",
      "[::1]",
      "::ffff:127.0.0.1",
    ]) {
      expect(t.decide(h)).toBe("direct");
    }
    for (const h of [
      "checkout",
      "checkout.shop.svc.cluster.local",
      "10.96.0.1",
      "8.8.8.8",
      "fd00::1",
      "example.com",
      "localhost.example.com",
    ]) {
      expect(t.decide(h)).toBe("cluster");
    }
  });

  test("loopback stays direct even when a cluster rule names it", () => {
    const t = new RouteTable({ cluster: ["localhost", "127.0.0.1/32", "*"], direct: [] });
    expect(t.decide("localhost")).toBe("direct");
    expect(t.decide("127.0.0.1")).toBe("direct");
  });

  test("globs: * spans dots, case-insensitive, trailing dot ignored, never matches the bare suffix", () => {
    const t = new RouteTable({ cluster: ["*.svc.cluster.local", "*.internal", "db.example.com"], direct: [] });
    expect(t.fallback).toBe("direct");
    expect(t.decide("a.b.svc.cluster.local")).toBe("cluster");
    expect(t.decide("Api.Shop.SVC.cluster.local.")).toBe("cluster");
    expect(t.decide("svc.cluster.local")).toBe("direct");
    expect(t.decide("x.internal")).toBe("cluster");
    expect(t.decide("internal")).toBe("direct");
    expect(t.decide("db.example.com")).toBe("cluster");
    expect(t.decide("www.example.com")).toBe("direct");
    expect(t.decide("10.0.0.1")).toBe("direct"); // globs match names, not address literals
  });

  test("CIDRs, IPv4 and IPv6, including IPv4-mapped addresses", () => {
    const t = new RouteTable({ cluster: ["10.96.0.0/12", "fd00:10::/32", "192.168.1.7"], direct: [] });
    expect(t.decide("10.96.0.1")).toBe("cluster");
    expect(t.decide("10.111.255.255")).toBe("cluster");
    expect(t.decide("10.112.0.0")).toBe("direct");
    expect(t.decide("::ffff:10.100.1.1")).toBe("cluster");
    expect(t.decide("fd00:10:0:1::5")).toBe("cluster");
    expect(t.decide("[fd00:10::1]")).toBe("cluster");
    expect(t.decide("fd00:11::1")).toBe("direct");
    expect(t.decide("192.168.1.7")).toBe("cluster");
    expect(t.decide("192.168.1.8")).toBe("direct");
  });

  test("precedence: most specific match wins, ties go direct", () => {
    const t = new RouteTable({
      cluster: ["*.svc.cluster.local", "10.0.0.0/8", "legacy.db.svc.cluster.local", "*.example.com"],
      direct: ["*.db.svc.cluster.local", "10.1.0.0/16", "*.example.com"],
    });
    expect(t.decide("api.shop.svc.cluster.local")).toBe("cluster");
    expect(t.decide("pg.db.svc.cluster.local")).toBe("direct"); // longer glob
    expect(t.decide("legacy.db.svc.cluster.local")).toBe("cluster"); // exact name beats any glob
    expect(t.decide("10.2.3.4")).toBe("cluster");
    expect(t.decide("10.1.3.4")).toBe("direct"); // longer prefix
    expect(t.decide("www.example.com")).toBe("direct"); // same rule in both lists: tie → direct
  });

  test("fallback: cluster unless cluster rules are listed; '*' sends the rest to the cluster", () => {
    expect(new RouteTable({ cluster: [], direct: ["*.corp"] }).decide("x.y")).toBe("cluster");
    expect(new RouteTable({ cluster: [], direct: ["*.corp"] }).decide("git.corp")).toBe("direct");
    expect(new RouteTable({ cluster: ["*.svc"], direct: [] }).decide("x.y")).toBe("direct");
    const star = new RouteTable({ cluster: ["*"], direct: ["*.corp", "192.168.0.0/16"] });
    expect(star.decide("x.y")).toBe("cluster");
    expect(star.decide("10.0.0.1")).toBe("cluster");
    expect(star.decide("git.corp")).toBe("direct");
    expect(star.decide("192.168.3.3")).toBe("direct");
  });

  test("invalid rules are rejected with a KfwdError", () => {
    for (const bad of ["10.0.0.0/33", "a b", "http://x", "fd00::/129", "host/path"]) {
      expect(() => new RouteTable({ cluster: [bad], direct: [] })).toThrow(
        expect.objectContaining({ code: "KFWD_ROUTE_INVALID" }),
      );
    }
  });

  test("'?' matches exactly one character, in names only", () => {
    const t = new RouteTable({ cluster: [], direct: ["db-?", "?"] });
    expect(t.decide("db-1")).toBe("direct");
    expect(t.decide("DB-a.")).toBe("direct");
    expect(t.decide("db-12")).toBe("cluster");
    expect(t.decide("db-")).toBe("cluster");
    expect(t.decide("x")).toBe("direct");
    expect(t.decide("10.0.0.1")).toBe("cluster"); // a lone "?" is not the match-everything "*"
  });

  test("routeRuleProblem says why a rule is not one, with the table's own compiler", () => {
    for (const p of ["*", "*.svc.cluster.local", "db-?", "10.0.0.1", "::1", "10.0.0.0/8", "fd00::/8"])
      expect(routeRuleProblem(p)).toBeUndefined();
    expect(routeRuleProblem("10.96.0.0/33")).toContain("0..32");
    expect(routeRuleProblem("10.96.0/12")).toContain("not an IP");
    expect(routeRuleProblem("::ffff:10.0.0.0/90")).toContain("96..128");
    for (const p of ["a b", " db", "http://x", "10.0.0.0/99", "[x]", ""]) expect(routeRuleProblem(p)).toBeString();
  });

  test("routingDialer sends each destination to the dialer the table picks", async () => {
    const calls: string[] = [];
    const fake =
      (name: string): Dialer =>
      (dest) => {
        calls.push(`${name}:${dest.host}`);
        return Promise.reject(new Error("not dialing in this test"));
      };
    const dial = routingDialer(new RouteTable({ cluster: [], direct: [] }), {
      cluster: fake("cluster"),
      direct: fake("direct"),
    });
    await dial({ host: "localhost", port: 1 }).catch(() => {});
    await dial({ host: "api.svc", port: 1 }).catch(() => {});
    expect(calls).toEqual(["direct:localhost", "cluster:api.svc"]);
  });
});

describe("IP helpers", () => {
  test("parse and format", () => {
    expect(parseIp("::1")).toEqual(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1));
    expect(parseIp("::ffff:1.2.3.4")).toEqual(Uint8Array.of(1, 2, 3, 4));
    expect(parseIp("fe80::1%eth0")?.length).toBe(16);
    expect(parseIp("1.2.3")).toBeUndefined();
    expect(parseIp("example.com")).toBeUndefined();
    expect(parseCidr("10.96.7.7/12")).toEqual({ bytes: Uint8Array.of(10, 96, 0, 0), prefix: 12 });
    expect(formatIpv6(parseIp("fd00:0:0:1::a")!)).toBe("fd00:0:0:1::a");
    expect(formatIpv6(parseIp("::1")!)).toBe("::1");
    expect(formatIpv6(parseIp("1:0:0:2:0:0:0:3")!)).toBe("1:0:0:2::3");
    expect(formatIpv6(parseIp("1:2:3:4:5:6:7:8")!)).toBe("1:2:3:4:5:6:7:8");
  });
});

describe("directDialer", () => {
  test("connects, and maps refused / name-not-found to DIAL_ERROR codes", async () => {
    const server = net.createServer((s) => s.end("hi"));
    const port = await listenLocal(server);
    const dial = directDialer({ timeoutMs: 300 });
    const s = await dial({ host: "127.0.0.1", port });
    const text = await new Promise<string>((resolve) => {
      let t = "";
      s.on("data", (d: Buffer) => (t += d.toString()));
      s.on("end", () => resolve(t));
    });
    expect(text).toBe("hi");
    s.destroy();
    await closeServer(server);
    await expect(dial({ host: "127.0.0.1", port })).rejects.toMatchObject({ code: DIAL_ERROR.refused });
    await expect(dial({ host: "no-such-host.invalid", port: 80 })).rejects.toMatchObject({
      code: DIAL_ERROR.nameNotFound,
    });
  });
});
