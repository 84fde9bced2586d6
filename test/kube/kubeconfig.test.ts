import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KfwdError } from "../../src/errors";
import { kubeconfigPaths, loadKubeconfig, resolveContext } from "../../src/kube/kubeconfig";

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "kfwd-kubeconfig-"));
}

function write(path: string, text: string): string {
  writeFileSync(path, text);
  return path;
}

function errorOf(fn: () => unknown): KfwdError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(KfwdError);
    return e as KfwdError;
  }
  throw new Error("expected a KfwdError");
}

const A = `
apiVersion: v1
kind: Config
current-context: a
contexts:
- name: a
  context: { cluster: c1, user: u1, namespace: team-a }
- name: shared
  context: { cluster: c1, user: u1 }
clusters:
- name: c1
  cluster:
    server: https://a.example:6443/
    certificate-authority: certs/ca.crt
    tls-server-name: kubernetes
users:
- name: u1
  user:
    client-certificate: certs/u1.crt
    client-key: /abs/u1.key
    tokenFile: token
`;

const B = `
current-context: b
contexts:
- name: b
  context: { cluster: c2, user: u2 }
- name: shared
  context: { cluster: c2, user: u2, namespace: from-b }
clusters:
- name: c1
  cluster: { server: https://ignored.example }
- name: c2
  cluster:
    server: https://b.example
    certificate-authority-data: ${Buffer.from("-----BEGIN CERTIFICATE-----\nB\n-----END CERTIFICATE-----\n").toString("base64")}
    insecure-skip-tls-verify: false
users:
- name: u2
  user:
    client-certificate-data: ${Buffer.from("CERT-B").toString("base64")}
    client-key-data: ${Buffer.from("KEY-B").toString("base64")}
`;

describe("kubeconfig files", () => {
  test("explicit path wins over KUBECONFIG; KUBECONFIG over ~/.kube/config; duplicates dropped", () => {
    expect(kubeconfigPaths({ kubeconfig: "/x/config", env: { KUBECONFIG: "/y" } })).toEqual({
      paths: ["/x/config"],
      source: "explicit",
    });
    expect(kubeconfigPaths({ env: { KUBECONFIG: "/a::/b:/a" } })).toEqual({
      paths: ["/a", "/b"],
      source: "KUBECONFIG",
    });
    expect(kubeconfigPaths({ env: {}, home: "/home/u" })).toEqual({
      paths: ["/home/u/.kube/config"],
      source: "default",
    });
    expect(kubeconfigPaths({ env: { KUBECONFIG: "" }, home: "/h" }).source).toBe("default");
  });

  test("merge: first file wins per map key, current-context from the first file that sets it", () => {
    const d = tmp();
    mkdirSync(join(d, "one"));
    const a = write(join(d, "one", "a.yaml"), A);
    const b = write(join(d, "b.yaml"), B);
    const cfg = loadKubeconfig({ env: { KUBECONFIG: [join(d, "missing.yaml"), a, b].join(":") } });
    expect(cfg.files).toEqual([a, b]);
    expect(cfg.currentContext).toBe("a");
    expect(cfg.contexts.get("shared")).toMatchObject({ cluster: "c1", user: "u1" });
    expect(cfg.contexts.get("shared")?.namespace).toBeUndefined();
    expect(cfg.clusters.get("c1")?.server).toBe("https://a.example:6443");
    expect(cfg.clusters.get("c2")?.server).toBe("https://b.example");
    expect([...cfg.contexts.keys()].sort()).toEqual(["a", "b", "shared"]);

    const reversed = loadKubeconfig({ env: { KUBECONFIG: [b, a].join(":") } });
    expect(reversed.currentContext).toBe("b");
    expect(reversed.contexts.get("shared")).toMatchObject({ cluster: "c2", namespace: "from-b" });
    expect(reversed.clusters.get("c1")?.server).toBe("https://ignored.example");
  });

  test("current-context comes from a later file when the first sets none", () => {
    const d = tmp();
    const a = write(join(d, "a.yaml"), A.replace("current-context: a", ""));
    const b = write(join(d, "b.yaml"), B);
    expect(loadKubeconfig({ env: { KUBECONFIG: `${a}:${b}` } }).currentContext).toBe("b");
  });

  test("relative paths resolve against the file's own directory; *-data is decoded", () => {
    const d = tmp();
    mkdirSync(join(d, "one"));
    const a = write(join(d, "one", "a.yaml"), A);
    const b = write(join(d, "b.yaml"), B);
    const cfg = loadKubeconfig({ env: { KUBECONFIG: `${a}:${b}` } });
    expect(cfg.clusters.get("c1")).toMatchObject({
      certificateAuthority: join(d, "one", "certs", "ca.crt"),
      tlsServerName: "kubernetes",
    });
    expect(cfg.users.get("u1")).toMatchObject({
      clientCertificate: join(d, "one", "certs", "u1.crt"),
      clientKey: "/abs/u1.key",
      tokenFile: join(d, "one", "token"),
    });
    expect(cfg.clusters.get("c2")?.certificateAuthorityData).toContain("BEGIN CERTIFICATE");
    expect(cfg.users.get("u2")).toMatchObject({ clientCertificateData: "CERT-B", clientKeyData: "KEY-B" });
  });

  test("exec command with a slash is relative to the kubeconfig; a bare name is left for PATH", () => {
    const d = tmp();
    const f = write(
      join(d, "c.yaml"),
      `users:
- name: p
  user:
    exec: { apiVersion: client.authentication.k8s.io/v1, command: ./bin/plugin, args: [get-token], env: [{ name: X, value: "1" }], interactiveMode: Never }
- name: q
  user:
    exec: { apiVersion: client.authentication.k8s.io/v1beta1, command: aws }
`,
    );
    const cfg = loadKubeconfig({ kubeconfig: f });
    expect(cfg.users.get("p")?.exec).toEqual({
      apiVersion: "client.authentication.k8s.io/v1",
      command: join(d, "bin", "plugin"),
      args: ["get-token"],
      env: [{ name: "X", value: "1" }],
      provideClusterInfo: false,
      interactiveMode: "Never",
    });
    expect(cfg.users.get("q")?.exec?.command).toBe("aws");
    expect(cfg.users.get("q")?.exec?.interactiveMode).toBe("IfAvailable");
  });
});

describe("choosing a context", () => {
  const d = tmp();
  mkdirSync(join(d, "one"));
  const a = write(join(d, "one", "a.yaml"), A);
  const b = write(join(d, "b.yaml"), B);
  const cfg = loadKubeconfig({ env: { KUBECONFIG: `${a}:${b}` } });

  test("current context with its namespace; explicit context; namespace override; default namespace", () => {
    expect(resolveContext(cfg)).toMatchObject({
      contextName: "a",
      clusterName: "c1",
      userName: "u1",
      namespace: "team-a",
    });
    expect(resolveContext(cfg, { context: "b" })).toMatchObject({ contextName: "b", namespace: "default" });
    expect(resolveContext(cfg, { context: "b" }).cluster.server).toBe("https://b.example");
    expect(resolveContext(cfg, { namespace: "other" }).namespace).toBe("other");
  });

  test("an unknown context lists the contexts there are", () => {
    const e = errorOf(() => resolveContext(cfg, { context: "prod" }));
    expect(e.code).toBe("KFWD_CONTEXT_NOT_FOUND");
    expect(e.message).toContain('"prod"');
    expect(e.hint).toContain("a, b, shared");
  });

  test("no current-context and none given: says so and lists contexts", () => {
    const f = write(join(d, "nocur.yaml"), B.replace("current-context: b", ""));
    const e = errorOf(() => resolveContext(loadKubeconfig({ kubeconfig: f })));
    expect(e.code).toBe("KFWD_CONTEXT_NOT_FOUND");
    expect(e.hint).toContain("b, shared");
  });

  test("a context whose user or cluster is missing is invalid", () => {
    const f = write(
      join(d, "dangling.yaml"),
      `contexts:\n- name: x\n  context: { cluster: nope, user: u }\nclusters: []\n`,
    );
    const e = errorOf(() => resolveContext(loadKubeconfig({ kubeconfig: f }), { context: "x" }));
    expect(e.code).toBe("KFWD_KUBECONFIG_INVALID");
    expect(e.message).toContain('cluster "nope"');
    const g = write(
      join(d, "dangling2.yaml"),
      `contexts:\n- name: x\n  context: { cluster: c, user: ghost }\nclusters:\n- name: c\n  cluster: { server: https://c }\n`,
    );
    expect(errorOf(() => resolveContext(loadKubeconfig({ kubeconfig: g }), { context: "x" })).message).toContain(
      'user "ghost"',
    );
  });
});

describe("kubeconfig errors", () => {
  test("missing explicit file, missing KUBECONFIG list, missing default", () => {
    const d = tmp();
    expect(errorOf(() => loadKubeconfig({ kubeconfig: join(d, "nope") })).code).toBe("KFWD_KUBECONFIG_NOT_FOUND");
    const e = errorOf(() => loadKubeconfig({ env: { KUBECONFIG: `${join(d, "x")}:${join(d, "y")}` } }));
    expect(e.code).toBe("KFWD_KUBECONFIG_NOT_FOUND");
    expect(e.message).toContain("KUBECONFIG=");
    expect(errorOf(() => loadKubeconfig({ env: {}, home: d })).message).toContain(join(d, ".kube", "config"));
  });

  test("bad YAML, wrong shapes and bad base64 are KFWD_KUBECONFIG_INVALID", () => {
    const d = tmp();
    for (const text of [
      "clusters: [",
      "- just a list",
      "clusters: 3",
      "users:\n- name: u\n  user: { client-key-data: '***' }",
      "clusters:\n- cluster: { server: x }",
    ]) {
      const f = write(join(d, "bad.yaml"), text);
      expect(errorOf(() => loadKubeconfig({ kubeconfig: f })).code).toBe("KFWD_KUBECONFIG_INVALID");
    }
  });

  test("an empty file is an empty config, as in kubectl", () => {
    const d = tmp();
    const f = write(join(d, "empty"), "");
    expect(loadKubeconfig({ kubeconfig: f }).contexts.size).toBe(0);
  });

  test("secrets never appear in error messages", () => {
    const d = tmp();
    const f = write(
      join(d, "s.yaml"),
      `users:\n- name: u\n  user: { token: SECRET-TOKEN, password: SECRET-PW }\ncontexts:\n- name: x\n  context: { cluster: missing, user: u }\n`,
    );
    const e = errorOf(() => resolveContext(loadKubeconfig({ kubeconfig: f }), { context: "x" }));
    expect(`${e.message} ${e.hint}`).not.toContain("SECRET");
  });
});
