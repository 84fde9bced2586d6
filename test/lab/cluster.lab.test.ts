/** The lab cluster itself: a Ready node, cluster DNS, Pod Security "restricted" enforced in the test namespace. */
import { describe, expect, test } from "bun:test";
import { requireLabOrSkip } from "../helpers/lab";
import { restrictedContainer } from "../helpers/lab-objects";
import { TESTAPP_IMAGE } from "../helpers/testapp";
import { kubectl, kubectlOk, uniqueName } from "./helpers/kubectl";

const lab = requireLabOrSkip();

describe.skipIf(!lab)("lab cluster", () => {
  test("the node is Ready", async () => {
    const out = await kubectlOk(["get", "nodes", "-o", "json"]);
    const nodes = JSON.parse(out) as { items: { status: { conditions: { type: string; status: string }[] } }[] };
    expect(nodes.items.length).toBe(1);
    const ready = nodes.items[0]?.status.conditions.find((c) => c.type === "Ready");
    expect(ready?.status).toBe("True");
  });

  test("cluster DNS is available", async () => {
    const out = await kubectlOk([
      "-n",
      "kube-system",
      "get",
      "deployment",
      "coredns",
      "-o",
      "jsonpath={.status.availableReplicas}",
    ]);
    expect(Number(out)).toBeGreaterThanOrEqual(1);
  });

  test(`the test namespace enforces Pod Security "restricted"`, async () => {
    const out = await kubectlOk(["get", "namespace", lab?.namespace ?? "", "-o", "jsonpath={.metadata.labels}"]);
    expect(JSON.parse(out)).toMatchObject({ "pod-security.kubernetes.io/enforce": "restricted" });
  });

  test(`a pod violating "restricted" is rejected`, async () => {
    const name = uniqueName("psa-violator");
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name },
      spec: { containers: [{ name: "app", image: TESTAPP_IMAGE, securityContext: { privileged: true } }] },
    };
    const r = await kubectl(["create", "-f", "-"], { as: "restricted", stdin: JSON.stringify(pod) });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("violates PodSecurity");
    expect(r.stderr).toContain("restricted");
    // The same pod made compliant is accepted (so the rejection was PSA's, not RBAC's).
    const ok = {
      ...pod,
      spec: {
        containers: [{ name: "app", image: TESTAPP_IMAGE, securityContext: restrictedContainer(65532) }],
      },
    };
    await kubectlOk(["create", "--dry-run=server", "-f", "-"], { as: "restricted", stdin: JSON.stringify(ok) });
  });

  test("the restricted user has the kfwd Role in the test namespace only", async () => {
    const can = async (args: string[]) =>
      (await kubectl(["auth", "can-i", ...args], { as: "restricted" })).stdout.trim();
    expect(await can(["create", "pods", "--subresource=exec"])).toBe("yes");
    expect(await can(["get", "pods", "--subresource=log"])).toBe("yes");
    expect(await can(["create", "pods"])).toBe("yes");
    expect(await can(["list", "pods", "-n", "kube-system"])).toBe("no");
    expect(await can(["list", "nodes"])).toBe("no");
    expect(await can(["create", "deployments"])).toBe("no");
  });
});
