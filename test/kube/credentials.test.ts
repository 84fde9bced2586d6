import { beforeEach, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KfwdError } from "../../src/errors";
import { CredentialProvider, serverTls } from "../../src/kube/credentials";
import { clearExecPluginCache, parseExecCredential } from "../../src/kube/exec-plugin";
import { loadKubeconfig, resolveContext } from "../../src/kube/kubeconfig";
import { jwtExpiry } from "../../src/kube/oidc";
import { rejection } from "../helpers/rejection";

const V1 = "client.authentication.k8s.io/v1";

/** A kubeconfig with one context per user entry given, all on one cluster. */
function kubeconfig(dir: string, users: Record<string, string>, cluster = "server: https://k.example:6443"): string {
  const names = Object.keys(users);
  const text = [
    "clusters:",
    "- name: c",
    "  cluster:",
    ...cluster.split("\n").map((l) => `    ${l}`),
    "contexts:",
    ...names.flatMap((n) => [`- name: ${n}`, `  context: { cluster: c, user: ${n} }`]),
    "users:",
    ...names.flatMap((n) => [`- name: ${n}`, "  user:", ...users[n]!.split("\n").map((l) => `    ${l}`)]),
  ].join("\n");
  const f = join(dir, "config");
  writeFileSync(f, text);
  return f;
}

function provider(file: string, context: string): CredentialProvider {
  return new CredentialProvider(resolveContext(loadKubeconfig({ kubeconfig: file }), { context }));
}

/** A real plugin: a shell script that logs each run and prints an ExecCredential. */
function plugin(dir: string, body: string): string {
  mkdirSync(join(dir, "bin"), { recursive: true });
  const p = join(dir, "bin", "plugin.sh");
  writeFileSync(
    p,
    `#!/bin/sh\necho run >> "${join(dir, "runs")}"\nprintf '%s' "$KUBERNETES_EXEC_INFO" > "${join(dir, "info.json")}"\n${body}\n`,
  );
  chmodSync(p, 0o755);
  return p;
}

const runs = (dir: string) => readFileSync(join(dir, "runs"), "utf8").trim().split("\n").length;

beforeEach(() => clearExecPluginCache());

describe("exec credential plugins", () => {
  test("token from a real plugin, args and env passed, KUBERNETES_EXEC_INFO set, cached until expiry", async () => {
    const d = mkdtempSync(join(tmpdir(), "kfwd-exec-"));
    plugin(
      d,
      `[ "$1" = get-token ] && [ "$MY_ENV" = yes ] || exit 9\ncat <<EOF\n{"apiVersion":"${V1}","kind":"ExecCredential","status":{"token":"tok-$(cat ${join(d, "runs")} | wc -l | tr -d ' ')","expirationTimestamp":"2999-01-01T00:00:00Z"}}\nEOF`,
    );
    const f = kubeconfig(
      d,
      {
        p: `exec:\n  apiVersion: ${V1}\n  command: ./bin/plugin.sh\n  args: [get-token]\n  env: [{ name: MY_ENV, value: "yes" }]\n  interactiveMode: Never\n  provideClusterInfo: true`,
      },
      `server: https://k.example:6443\ncertificate-authority-data: ${Buffer.from("CA-PEM").toString("base64")}`,
    );
    const creds = provider(f, "p");
    const a = await creds.get();
    expect(a.headers.Authorization).toBe("Bearer tok-1");
    expect(a.method).toContain("plugin.sh");
    expect(a.method).not.toContain("tok-");
    const info = JSON.parse(readFileSync(join(d, "info.json"), "utf8"));
    expect(info).toEqual({
      apiVersion: V1,
      kind: "ExecCredential",
      spec: {
        interactive: false,
        cluster: {
          server: "https://k.example:6443",
          "certificate-authority-data": Buffer.from("CA-PEM").toString("base64"),
        },
      },
    });
    // Cached: a second provider for the same config does not run the plugin again.
    expect((await provider(f, "p").get()).headers.Authorization).toBe("Bearer tok-1");
    expect(runs(d)).toBe(1);
    // After a 401 the client invalidates: the plugin runs again.
    creds.invalidate();
    expect((await creds.get()).headers.Authorization).toBe("Bearer tok-2");
    expect(runs(d)).toBe(2);
  });

  test("an expired credential runs the plugin again; client certs from v1beta1", async () => {
    const d = mkdtempSync(join(tmpdir(), "kfwd-exec-"));
    const v1b = "client.authentication.k8s.io/v1beta1";
    plugin(
      d,
      `echo '{"apiVersion":"${v1b}","kind":"ExecCredential","status":{"clientCertificateData":"CERT","clientKeyData":"KEY","expirationTimestamp":"2000-01-01T00:00:00Z"}}'`,
    );
    const f = kubeconfig(d, { p: `exec:\n  apiVersion: ${v1b}\n  command: ${join(d, "bin", "plugin.sh")}` });
    const a = await provider(f, "p").get();
    expect(a).toMatchObject({ cert: "CERT", key: "KEY" });
    expect(a.headers.Authorization).toBeUndefined();
    await provider(f, "p").get();
    expect(runs(d)).toBe(2);
  });

  test("plugin failures: non-zero exit, missing command with installHint, wrong apiVersion, no credential", async () => {
    const d = mkdtempSync(join(tmpdir(), "kfwd-exec-"));
    plugin(d, "echo 'please log in' >&2; exit 3");
    const f = kubeconfig(d, {
      fails: `exec: { apiVersion: ${V1}, command: ./bin/plugin.sh, interactiveMode: Never }`,
      missing: `exec: { apiVersion: ${V1}, command: kfwd-no-such-plugin, installHint: "brew install thing", interactiveMode: Never }`,
      old: `exec: { apiVersion: client.authentication.k8s.io/v1alpha1, command: x }`,
    });
    const e1 = await rejection(provider(f, "fails").get());
    expect(e1.code).toBe("KFWD_AUTH_FAILED");
    expect(e1.message).toContain("exited with code 3");
    const e2 = await rejection(provider(f, "missing").get());
    expect(e2.code).toBe("KFWD_AUTH_FAILED");
    expect(e2.hint).toBe("brew install thing");
    expect((await rejection(provider(f, "old").get())).code).toBe("KFWD_KUBECONFIG_INVALID");
    // A failed run is not cached.
    await rejection(provider(f, "fails").get());
    expect(runs(d)).toBe(2);
  });

  test("interactiveMode Always without a terminal is refused before running", async () => {
    const d = mkdtempSync(join(tmpdir(), "kfwd-exec-"));
    const f = kubeconfig(d, { a: `exec: { apiVersion: ${V1}, command: /bin/true, interactiveMode: Always }` });
    const e = await rejection(provider(f, "a").get());
    expect(e.message).toContain("interactive terminal");
  });

  test("parseExecCredential validates kind, apiVersion and status", () => {
    const ok = parseExecCredential(
      JSON.stringify({
        apiVersion: V1,
        kind: "ExecCredential",
        status: { token: "t", expirationTimestamp: "2030-01-02T03:04:05Z" },
      }),
      V1,
    );
    expect(ok).toEqual({ token: "t", expiresAt: Date.parse("2030-01-02T03:04:05Z") });
    for (const bad of [
      "not json",
      JSON.stringify({ apiVersion: V1, kind: "Other", status: { token: "t" } }),
      JSON.stringify({ apiVersion: V1, kind: "ExecCredential", status: {} }),
      JSON.stringify({ apiVersion: V1, kind: "ExecCredential", status: { clientCertificateData: "c" } }),
    ]) {
      expect(() => parseExecCredential(bad, V1)).toThrow(KfwdError);
    }
  });
});

describe("static credentials", () => {
  const d = mkdtempSync(join(tmpdir(), "kfwd-creds-"));
  writeFileSync(join(d, "token"), "file-token\n");
  writeFileSync(join(d, "u.crt"), "CERT-FILE");
  writeFileSync(join(d, "u.key"), "KEY-FILE");
  const jwt = (exp: number) => ["e30", Buffer.from(JSON.stringify({ exp })).toString("base64url"), "sig"].join(".");
  const f = kubeconfig(d, {
    tokenfile: "tokenFile: token\ntoken: inline-token",
    token: "token: inline-token\nas: alice\nas-groups: [dev, ops]",
    certs: "client-certificate: u.crt\nclient-key: u.key",
    basic: "username: bob\npassword: pw",
    oidc: `auth-provider:\n  name: oidc\n  config: { id-token: "${jwt(4_000_000_000)}", idp-issuer-url: https://idp }`,
    oidcold: `auth-provider:\n  name: oidc\n  config: { id-token: "${jwt(1_000_000)}", refresh-token: r, idp-issuer-url: https://idp }`,
    gcp: "auth-provider: { name: gcp }",
    halfcert: "client-certificate: u.crt",
    badtokenfile: "tokenFile: nope",
  });

  test("tokenFile (relative to the kubeconfig) wins over token", async () => {
    expect((await provider(f, "tokenfile").get()).headers).toEqual({ Authorization: "Bearer file-token" });
  });
  test("token and impersonation headers", async () => {
    expect((await provider(f, "token").get()).headers).toEqual({
      Authorization: "Bearer inline-token",
      "Impersonate-User": "alice",
      "Impersonate-Group": "dev,ops",
    });
  });
  test("client certificate and key files", async () => {
    const a = await provider(f, "certs").get();
    expect(a).toMatchObject({ cert: "CERT-FILE", key: "KEY-FILE", headers: {} });
    expect(a.method).toContain(join(d, "u.crt"));
  });
  test("basic auth", async () => {
    expect((await provider(f, "basic").get()).headers.Authorization).toBe(
      `Basic ${Buffer.from("bob:pw").toString("base64")}`,
    );
  });
  test("oidc: a valid id-token is used; an expired one names kubectl/kubelogin and no secret", async () => {
    expect((await provider(f, "oidc").get()).headers.Authorization).toStartWith("Bearer e30.");
    const e = await rejection(provider(f, "oidcold").get());
    expect(e.code).toBe("KFWD_AUTH_FAILED");
    expect(e.message).toContain("expired");
    expect(e.hint).toContain("kubelogin");
    expect(`${e.message}${e.hint}`).not.toContain("e30.");
    expect(jwtExpiry(jwt(42))).toBe(42_000);
    expect(jwtExpiry("opaque")).toBeUndefined();
  });
  test("removed auth-providers, a cert without key, a missing tokenFile", async () => {
    expect((await rejection(provider(f, "gcp").get())).hint).toContain("gke-gcloud-auth-plugin");
    expect((await rejection(provider(f, "halfcert").get())).code).toBe("KFWD_KUBECONFIG_INVALID");
    expect((await rejection(provider(f, "badtokenfile").get())).code).toBe("KFWD_AUTH_FAILED");
  });
  test("server TLS: CA data wins over file, tls-server-name, insecure", () => {
    const g = kubeconfig(
      mkdtempSync(join(tmpdir(), "kfwd-tls-")),
      { u: "token: t" },
      `server: https://x\ncertificate-authority-data: ${Buffer.from("CA").toString("base64")}\ncertificate-authority: /nope\ntls-server-name: kubernetes`,
    );
    const t = serverTls(resolveContext(loadKubeconfig({ kubeconfig: g }), { context: "u" }));
    expect(t).toMatchObject({ ca: "CA", serverName: "kubernetes", rejectUnauthorized: true });
    expect(t.caSource).toContain("certificate-authority-data");
    const h = kubeconfig(
      mkdtempSync(join(tmpdir(), "kfwd-tls-")),
      { u: "token: t" },
      "server: https://x\ninsecure-skip-tls-verify: true",
    );
    expect(serverTls(resolveContext(loadKubeconfig({ kubeconfig: h }), { context: "u" })).rejectUnauthorized).toBe(
      false,
    );
  });
});
