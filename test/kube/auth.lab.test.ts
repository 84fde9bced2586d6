/**
 * Bearer-token auth on the real lab API server, for REST and for the exec WebSocket: a ServiceAccount token
 * (TokenRequest) handed out by a real exec credential plugin script. Also tls-server-name against the real
 * server certificate. Skips unless the lab is up (KFWD_LAB=1 requires it).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KfwdError } from "../../src/errors";
import { apiPath } from "../../src/kube/api-path";
import { KubeClient } from "../../src/kube/client";
import { execTransport } from "../../src/kube/exec";
import { loadKubeconfig } from "../../src/kube/kubeconfig";
import { requireLabOrSkip } from "../helpers/lab";
import { BUN_CAT, createRunningPod, idlePod } from "../helpers/lab-objects";

const lab = requireLabOrSkip();

describe.skipIf(!lab)("token auth and TLS options on the lab cluster", () => {
  const ns = lab?.namespace ?? "kfwd-e2e";
  const name = `kfwd-kube-auth-${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), "kfwd-auth-lab-"));
  let admin: KubeClient;
  let kubeconfig: string;

  beforeAll(async () => {
    admin = await KubeClient.fromKubeconfig({ kubeconfig: lab!.admin });
    await admin.create(apiPath({ resource: "serviceaccounts", namespace: ns }), {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name },
    });
    await admin.create(apiPath({ group: "rbac.authorization.k8s.io", resource: "rolebindings", namespace: ns }), {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "kfwd" },
      subjects: [{ kind: "ServiceAccount", name, namespace: ns }],
    });
    const tr = await admin.create<{ status: { token: string; expirationTimestamp: string } }>(
      apiPath({ resource: "serviceaccounts", namespace: ns, name, subresource: "token" }),
      {
        apiVersion: "authentication.k8s.io/v1",
        kind: "TokenRequest",
        spec: { expirationSeconds: 600 },
      },
    );
    writeFileSync(
      join(dir, "credential.json"),
      JSON.stringify({ apiVersion: "client.authentication.k8s.io/v1", kind: "ExecCredential", status: tr.status }),
    );
    writeFileSync(join(dir, "plugin.sh"), `#!/bin/sh\necho run >> "${dir}/runs"\ncat "${dir}/credential.json"\n`);
    chmodSync(join(dir, "plugin.sh"), 0o755);
    // The lab's cluster entry (server, CA) with our plugin user, and a second cluster entry using tls-server-name.
    const cluster = loadKubeconfig({ kubeconfig: lab!.admin });
    const c = [...cluster.clusters.values()][0]!;
    const caData = Buffer.from(c.certificateAuthorityData ?? readFileSync(c.certificateAuthority!, "utf8")).toString(
      "base64",
    );
    kubeconfig = join(dir, "kubeconfig");
    writeFileSync(
      kubeconfig,
      `apiVersion: v1
kind: Config
current-context: sa
clusters:
- name: lab
  cluster: { server: "${c.server}", certificate-authority-data: ${caData} }
- name: lab-by-name
  cluster: { server: "${c.server}", certificate-authority-data: ${caData}, tls-server-name: kubernetes.default.svc }
- name: lab-wrong-name
  cluster: { server: "${c.server}", certificate-authority-data: ${caData}, tls-server-name: not-the-apiserver.example }
users:
- name: sa
  user:
    exec: { apiVersion: client.authentication.k8s.io/v1, command: ./plugin.sh, interactiveMode: Never }
contexts:
- name: sa
  context: { cluster: lab, user: sa, namespace: ${ns} }
- name: by-name
  context: { cluster: lab-by-name, user: sa, namespace: ${ns} }
- name: wrong-name
  context: { cluster: lab-wrong-name, user: sa, namespace: ${ns} }
`,
    );
  }, 60_000);

  afterAll(async () => {
    if (!admin) return;
    await admin.delete(apiPath({ resource: "pods", namespace: ns, name }), {
      ignoreNotFound: true,
      query: { gracePeriodSeconds: 0 },
    });
    await admin.delete(apiPath({ group: "rbac.authorization.k8s.io", resource: "rolebindings", namespace: ns, name }), {
      ignoreNotFound: true,
    });
    await admin.delete(apiPath({ resource: "serviceaccounts", namespace: ns, name }), { ignoreNotFound: true });
  });

  test("an exec plugin's token authenticates REST calls and the exec WebSocket", async () => {
    const client = await KubeClient.fromKubeconfig({ kubeconfig });
    await createRunningPod(client, ns, idlePod(name));
    const t = await execTransport(client, { pod: name, command: BUN_CAT });
    expect(t.protocol).toBe("v5.channel.k8s.io");
    const got = new Promise<string>((resolve) => t.onData((d) => resolve(new TextDecoder().decode(d))));
    t.write(new TextEncoder().encode("via token"));
    expect(await got).toBe("via token");
    t.closeStdin();
    expect(await new Promise<Error | undefined>((resolve) => t.onClose(resolve))).toBeUndefined();
    // The plugin ran once: its credential is cached until its expirationTimestamp.
    expect(readFileSync(join(dir, "runs"), "utf8").trim().split("\n")).toHaveLength(1);
  }, 150_000);

  test("tls-server-name: a name on the certificate works, another is refused with a hint", async () => {
    const byName = await KubeClient.fromKubeconfig({ kubeconfig, context: "by-name" });
    expect((await byName.list(apiPath({ resource: "pods", namespace: ns }))).kind).toBe("PodList");
    const wrong = await KubeClient.fromKubeconfig({ kubeconfig, context: "wrong-name" });
    const e = await wrong.list(apiPath({ resource: "pods", namespace: ns })).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(KfwdError);
    expect((e as KfwdError).code).toBe("KFWD_CLUSTER_UNREACHABLE");
    expect((e as KfwdError).hint).toContain("tls-server-name");
  }, 30_000);
});
