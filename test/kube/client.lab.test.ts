/** The REST client against the real lab kube-apiserver (skips unless the lab is up; KFWD_LAB=1 requires it). */
import { afterAll, describe, expect, test } from "bun:test";
import { apiPath } from "../../src/kube/api-path";
import { KubeClient, type WatchEvent } from "../../src/kube/client";
import { requireLabOrSkip } from "../helpers/lab";
import { idlePod } from "../helpers/lab-objects";
import { rejection } from "../helpers/rejection";

const lab = requireLabOrSkip();

describe.skipIf(!lab)("KubeClient on the lab cluster", () => {
  const ns = lab?.namespace ?? "kfwd-e2e";
  const created: string[] = [];
  let restricted: KubeClient;
  const restrictedClient = async () =>
    (restricted ??= await KubeClient.fromKubeconfig({ kubeconfig: lab!.restricted }));

  afterAll(async () => {
    if (!lab) return;
    const c = await restrictedClient();
    for (const name of created)
      await c.delete(apiPath({ resource: "pods", namespace: ns, name }), {
        ignoreNotFound: true,
        query: { gracePeriodSeconds: 0 },
      });
  });

  test("client-certificate auth with the kubeconfig's CA lists pods in the test namespace", async () => {
    const c = await restrictedClient();
    expect(c.namespace).toBe(ns);
    expect(c.context.user.clientCertificate ?? c.context.user.clientCertificateData).toBeDefined();
    const list = await c.list(apiPath({ resource: "pods", namespace: ns }));
    expect(list.kind).toBe("PodList");
    expect(Array.isArray(list.items)).toBe(true);
  });

  test("the admin kubeconfig reads cluster-scoped objects", async () => {
    const admin = await KubeClient.fromKubeconfig({ kubeconfig: lab!.admin });
    const nodes = await admin.list<{ metadata: { name: string } }>("/api/v1/nodes");
    expect(nodes.items.length).toBeGreaterThan(0);
  });

  test("403 names the verb, resource and namespace, and the hint holds the Role rule", async () => {
    const c = await restrictedClient();
    const e = await rejection(c.list(apiPath({ resource: "pods", namespace: "kube-system" })));
    expect(e.code).toBe("KFWD_RBAC_FORBIDDEN");
    expect(e.message).toContain("list pods");
    expect(e.message).toContain('namespace "kube-system"');
    expect(e.hint).toContain('- apiGroups: [""]\n  resources: ["pods"]\n  verbs: ["list"]');
    const nodes = await rejection(c.get("/api/v1/nodes/x"));
    expect(nodes.code).toBe("KFWD_RBAC_FORBIDDEN");
    expect(nodes.message).toContain("at cluster scope");
    expect(nodes.hint).toContain("ClusterRole");
    const sub = await rejection(
      c.patch(apiPath({ resource: "pods", namespace: ns, name: "x", subresource: "status" }), {}),
    );
    expect(sub.code).toBe("KFWD_RBAC_FORBIDDEN");
    expect(sub.hint).toContain('resources: ["pods/status"]');
  });

  test("404 is KFWD_NOT_FOUND", async () => {
    const c = await restrictedClient();
    expect((await rejection(c.get(apiPath({ resource: "pods", namespace: ns, name: "kfwd-no-such-pod" })))).code).toBe(
      "KFWD_NOT_FOUND",
    );
  });

  test("selfSubjectAccessReview matches deploy/kfwd-role.yaml (both Roles: kfwd and kfwd-incoming)", async () => {
    const c = await restrictedClient();
    expect(await c.selfSubjectAccessReview({ verb: "create", resource: "pods", subresource: "exec" })).toBe(true);
    expect(
      await c.selfSubjectAccessReview({ verb: "patch", resource: "pods", subresource: "ephemeralcontainers" }),
    ).toBe(true);
    // In neither Role: kfwd never deletes workloads or reads Secrets.
    expect(await c.selfSubjectAccessReview({ verb: "delete", resource: "deployments", group: "apps" })).toBe(false);
    expect(await c.selfSubjectAccessReview({ verb: "get", resource: "secrets" })).toBe(false);
    expect(await c.selfSubjectAccessReview({ verb: "create", resource: "pods", namespace: "kube-system" })).toBe(false);
  });

  test("a pod that breaks Pod Security restricted is KFWD_POD_SECURITY_REJECTED", async () => {
    const c = await restrictedClient();
    const pod = idlePod(`kfwd-kube-psa-${process.pid}`);
    (pod.spec as { securityContext: Record<string, unknown> }).securityContext = {};
    const e = await rejection(c.create(apiPath({ resource: "pods", namespace: ns }), pod));
    expect(e.code).toBe("KFWD_POD_SECURITY_REJECTED");
    expect(e.message).toContain("restricted");
  });

  test("watch sees a pod being created and deleted", async () => {
    const c = await restrictedClient();
    const name = `kfwd-kube-watch-${process.pid}`;
    const events: WatchEvent<{ metadata: { name: string } }>[] = [];
    const abort = new AbortController();
    const watching = c.watch<{ metadata: { name: string } }>(
      apiPath({ resource: "pods", namespace: ns }),
      (ev) => {
        events.push(ev);
        if (ev.type === "DELETED" && ev.object.metadata.name === name) abort.abort();
      },
      abort.signal,
      { fieldSelector: `metadata.name=${name}` },
    );
    await Bun.sleep(300);
    created.push(name);
    await c.create(apiPath({ resource: "pods", namespace: ns }), idlePod(name));
    await c.delete(apiPath({ resource: "pods", namespace: ns, name }), { query: { gracePeriodSeconds: 0 } });
    const timer = setTimeout(() => abort.abort(), 30_000);
    await watching;
    clearTimeout(timer);
    const types = events.filter((e) => e.type !== "BOOKMARK").map((e) => e.type);
    expect(types[0]).toBe("ADDED");
    expect(types).toContain("DELETED");
  }, 40_000);
});
