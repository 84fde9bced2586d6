import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isKubeApiError } from "../../src/kube/api-errors";
import { apiPath, requestAttributes, roleRuleYaml } from "../../src/kube/api-path";
import { KubeClient, type WatchEvent } from "../../src/kube/client";
import { type FakeApiServer, startFakeApiServer } from "./helpers/fake-apiserver";
import { hasOpenssl, makePki, type TestPki } from "./helpers/pki";
import { rejection } from "../helpers/rejection";

describe("API paths and RBAC attributes", () => {
  test("apiPath builds core and group paths", () => {
    expect(apiPath({ resource: "pods", namespace: "ns", name: "p", subresource: "exec" })).toBe(
      "/api/v1/namespaces/ns/pods/p/exec",
    );
    expect(apiPath({ group: "apps", resource: "deployments", namespace: "ns" })).toBe(
      "/apis/apps/v1/namespaces/ns/deployments",
    );
    expect(apiPath({ resource: "namespaces", name: "ns" })).toBe("/api/v1/namespaces/ns");
  });

  test("requestAttributes reads verb, group, resource, subresource, namespace", () => {
    expect(requestAttributes("GET", "/api/v1/namespaces/ns/pods/p/exec")).toEqual({
      verb: "get",
      group: "",
      resource: "pods",
      subresource: "exec",
      namespace: "ns",
      name: "p",
    });
    expect(requestAttributes("GET", "/api/v1/namespaces/ns/pods")?.verb).toBe("list");
    expect(requestAttributes("GET", "/api/v1/namespaces/ns/pods", new URLSearchParams("watch=true"))?.verb).toBe(
      "watch",
    );
    expect(requestAttributes("PATCH", "/apis/apps/v1/namespaces/ns/deployments/d")).toMatchObject({
      verb: "patch",
      group: "apps",
      resource: "deployments",
    });
    expect(requestAttributes("DELETE", "/api/v1/namespaces/ns/pods")?.verb).toBe("deletecollection");
    expect(requestAttributes("GET", "/api/v1/namespaces/ns")).toEqual({
      verb: "get",
      group: "",
      resource: "namespaces",
      name: "ns",
    });
    expect(requestAttributes("GET", "/version")).toBeUndefined();
  });

  test("roleRuleYaml is a pasteable rule", () => {
    expect(roleRuleYaml({ verb: "create", group: "", resource: "pods", subresource: "exec" })).toBe(
      '- apiGroups: [""]\n  resources: ["pods/exec"]\n  verbs: ["create"]',
    );
  });
});

describe.skipIf(!hasOpenssl)("KubeClient against a local TLS API server", () => {
  let fake: FakeApiServer;
  let pki: TestPki;
  beforeAll(() => {
    pki = makePki();
    fake = startFakeApiServer(pki);
  });
  afterAll(() => fake?.stop());

  test("lists pods with the kubeconfig's CA file and client certificate (the server requires one)", async () => {
    const client = await KubeClient.fromKubeconfig({ kubeconfig: fake.kubeconfig });
    expect(client.namespace).toBe("ns");
    expect(client.server).toBe(fake.url);
    const list = await client.list<{ metadata: { name: string } }>(
      apiPath({ resource: "pods", namespace: client.namespace }),
    );
    expect(list.items.map((p) => p.metadata.name)).toEqual(["a"]);
    expect(await client.get(apiPath({ resource: "pods", namespace: "ns" }))).toMatchObject({ kind: "PodList" });
  });

  test("without a client certificate the TLS handshake fails: KFWD_CLUSTER_UNREACHABLE", async () => {
    const client = await KubeClient.fromKubeconfig({ kubeconfig: fake.kubeconfig, context: "nocert" });
    const e = await rejection(client.list("/api/v1/namespaces/ns/pods"));
    expect(e.code).toBe("KFWD_CLUSTER_UNREACHABLE");
    expect(e.message).toContain(fake.url);
  });

  test("an unknown CA names the CA file and the kubeconfig key", async () => {
    const client = await KubeClient.fromKubeconfig({ kubeconfig: fake.kubeconfig, context: "badca" });
    const e = await rejection(client.list("/api/v1/namespaces/ns/pods"));
    expect(e.code).toBe("KFWD_CLUSTER_UNREACHABLE");
    expect(e.message).toContain("unknown authority");
    expect(e.hint).toContain("other-ca.crt");
    expect(e.hint).toContain('certificate-authority "');
  });

  test("tls-server-name is checked against the certificate", async () => {
    const client = await KubeClient.fromKubeconfig({ kubeconfig: fake.kubeconfig, context: "wrongname" });
    const e = await rejection(client.list("/api/v1/namespaces/ns/pods"));
    expect(e.code).toBe("KFWD_CLUSTER_UNREACHABLE");
    expect(e.message).toContain('"kubernetes"');
    expect(e.hint).toContain("tls-server-name");
  });

  test("connection refused", async () => {
    const client = await KubeClient.fromKubeconfig({ kubeconfig: fake.kubeconfig, context: "closed" });
    const e = await rejection(client.get("/version"));
    expect(e.code).toBe("KFWD_CLUSTER_UNREACHABLE");
    expect(e.message).toContain("connection refused");
    expect(e.message).toContain("https://127.0.0.1:1");
  });

  test("401 is KFWD_AUTH_FAILED naming the method, never the token", async () => {
    const client = await KubeClient.fromKubeconfig({ kubeconfig: fake.kubeconfig, context: "expired" });
    const e = await rejection(client.list("/api/v1/namespaces/ns/pods"));
    expect(e.code).toBe("KFWD_AUTH_FAILED");
    expect(e.hint).toContain('token of user "alice-expired-token"');
    expect(`${e.message}${e.hint}`).not.toContain("EXPIRED-SECRET");
    expect(isKubeApiError(e, 401)).toBe(true);
  });

  test("403 names verb, resource, subresource, namespace and gives the Role rule", async () => {
    const client = await KubeClient.fromKubeconfig({ kubeconfig: fake.kubeconfig });
    const e = await rejection(client.create("/api/v1/namespaces/locked/pods/p/exec", {}));
    expect(e.code).toBe("KFWD_RBAC_FORBIDDEN");
    expect(e.message).toBe(
      'Cannot create pods/exec "p" in namespace "locked": user "alice" is not allowed to create pods/exec in namespace "locked"',
    );
    expect(e.hint).toContain('- apiGroups: [""]\n  resources: ["pods/exec"]\n  verbs: ["create"]');
    expect(e.hint).toContain('a Role in namespace "locked"');
  });

  test("404 is KFWD_NOT_FOUND; delete can ignore it", async () => {
    const client = await KubeClient.fromKubeconfig({ kubeconfig: fake.kubeconfig });
    expect((await rejection(client.get("/api/v1/namespaces/ns/pods/missing"))).code).toBe("KFWD_NOT_FOUND");
    expect(await client.delete("/api/v1/namespaces/ns/pods/missing", { ignoreNotFound: true })).toBeUndefined();
  });

  test("watch delivers events in order and rejects on an ERROR event (410)", async () => {
    const client = await KubeClient.fromKubeconfig({ kubeconfig: fake.kubeconfig });
    const events: WatchEvent[] = [];
    const e = await rejection(
      client.watch("/api/v1/namespaces/ns/pods", (ev) => events.push(ev), undefined, { resourceVersion: "1" }),
    );
    expect(events.map((ev) => ev.type)).toEqual(["ADDED", "MODIFIED"]);
    expect(e.code).toBe("KFWD_GONE");
    const last = fake.requests.at(-1);
    expect(last?.path).toContain("watch=true");
    expect(last?.path).toContain("resourceVersion=1");
  });

  test("selfSubjectAccessReview sends the attributes and reads status.allowed", async () => {
    const client = await KubeClient.fromKubeconfig({ kubeconfig: fake.kubeconfig });
    expect(await client.selfSubjectAccessReview({ verb: "create", resource: "pods", subresource: "exec" })).toBe(true);
    expect(await client.selfSubjectAccessReview({ verb: "delete", resource: "pods" })).toBe(false);
  });

  test("exec plugin credentials (client cert + token) reach the server; a 401 re-runs the plugin once", async () => {
    const d = pki.dir;
    const cred = (token: string) =>
      JSON.stringify({
        apiVersion: "client.authentication.k8s.io/v1",
        kind: "ExecCredential",
        status: { token, clientCertificateData: pki.clientCrt, clientKeyData: pki.clientKey },
      });
    writeFileSync(join(d, "cred-1.json"), cred("EXPIRED-SECRET"));
    writeFileSync(join(d, "cred-2.json"), cred("fresh"));
    writeFileSync(
      join(d, "plugin.sh"),
      `#!/bin/sh\necho x >> ${d}/plugin-runs\nn=$(wc -l < ${d}/plugin-runs | tr -d ' ')\ncat ${d}/cred-$n.json\n`,
    );
    chmodSync(join(d, "plugin.sh"), 0o755);
    const kc = join(d, "exec-kubeconfig");
    writeFileSync(
      kc,
      readFileSync(fake.kubeconfig, "utf8") +
        `- name: plugin\n  context: { cluster: fake, user: plugin-user, namespace: ns }\n`,
    );
    const text = readFileSync(kc, "utf8").replace(
      "users:\n",
      "users:\n- name: plugin-user\n  user:\n    exec: { apiVersion: client.authentication.k8s.io/v1, command: ./plugin.sh, interactiveMode: Never }\n",
    );
    writeFileSync(kc, text);
    const client = await KubeClient.fromKubeconfig({ kubeconfig: kc, context: "plugin" });
    const before = fake.requests.length;
    const list = await client.list("/api/v1/namespaces/ns/pods");
    expect(list.items.length).toBe(1);
    expect(fake.requests.slice(before).map((r) => r.auth)).toEqual(["Bearer EXPIRED-SECRET", "Bearer fresh"]);
    expect(readFileSync(join(d, "plugin-runs"), "utf8").trim().split("\n").length).toBe(2);
  });
});
