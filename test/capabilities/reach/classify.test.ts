import { expect, test } from "bun:test";
import { classifier } from "../../../src/capabilities/reach/classify";

const make = (options: { cluster?: string[]; direct?: string[]; keepHosts?: string[] } = {}) => {
  const asked: string[] = [];
  const classify = classifier({
    keepHosts: options.keepHosts ?? [],
    cluster: options.cluster ?? ["*"],
    direct: options.direct ?? [],
    serviceIps: new Set(["10.96.0.12"]),
    resolvesInPod: async (name) => {
      asked.push(name);
      return ["db", "db.shop", "github.com"].includes(name);
    },
    resolvesHere: async (name) => name === "github.com",
  });
  return { classify, asked };
};

test("cluster domain names are the cluster's without a lookup", async () => {
  const { classify, asked } = make();
  for (const name of ["db.shop.svc.cluster.local", "db.shop.svc", "db.shop.svc.corp.local", "x.pod.cluster.local"])
    expect((await classify(name)).cluster).toBe(true);
  expect(asked).toEqual([]);
});

test("a name only the pod resolves is the cluster's; one both resolve, or neither, is not", async () => {
  const { classify } = make();
  expect(await classify("db")).toMatchObject({ cluster: true, reason: "resolves only in the pod" });
  expect((await classify("db.shop")).cluster).toBe(true);
  expect(await classify("github.com")).toMatchObject({ cluster: false, reason: "this machine resolves it too" });
  expect((await classify("nowhere.example")).cluster).toBe(false);
});

test("IPs: only those the pod's service-link variables name", async () => {
  const { classify } = make();
  expect((await classify("10.96.0.12")).cluster).toBe(true);
  expect((await classify("10.96.0.13")).cluster).toBe(false);
  expect((await classify("0.0.0.0")).cluster).toBe(false);
});

test("loopback, [proxy] direct and [reach] keep are left alone; an explicit [proxy] cluster rule decides", async () => {
  const { classify } = make({ direct: ["*.corp"], keepHosts: ["db"] });
  for (const host of ["localhost", "127.0.0.1", "::1", "api.corp", "db"])
    expect((await classify(host)).cluster).toBe(false);
  const explicit = make({ cluster: ["*.internal", "10.0.0.0/8"] });
  expect((await explicit.classify("billing.internal")).cluster).toBe(true);
  expect((await explicit.classify("10.1.2.3")).cluster).toBe(true);
  // With explicit cluster rules, anything else is direct, as for the proxies.
  expect((await explicit.classify("db.shop.svc.cluster.local")).cluster).toBe(false);
});
