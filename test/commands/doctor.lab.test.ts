/**
 * `kfwd doctor` on the lab as the restricted user: passes with the shipped Role; in a namespace whose Role
 * lacks one rule it names that permission, exits 1, and the Role and commands it prints fix it.
 * Skips unless the lab is up (KFWD_LAB=1: fails instead).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { KubeClient } from "../../src/kube/client";
import { shippedRules } from "../../src/doctor/role";
import { kfwd, writeProfile } from "../helpers/kfwd";
import { requireLabOrSkip } from "../helpers/lab";
import { namespaceWithRole } from "../helpers/lab-objects";

const lab = requireLabOrSkip();
const profileFor = (namespace: string) =>
  writeProfile(`[cluster]\nkubeconfig = "${lab?.restricted}"\nnamespace = "${namespace}"\n`);

interface DoctorJson {
  ok: boolean;
  checks: { id: string; status: string; detail: string }[];
  missing: { verb: string; group: string; resource: string }[];
  grant?: { roleYaml: string; commands: string[] };
}

/** A namespace where the restricted user holds the shipped Role minus the rule for one resource. */
const namespaceWithRoleLacking = (admin: KubeClient, ns: string, resource: string): Promise<void> =>
  namespaceWithRole(
    admin,
    ns,
    shippedRules().filter((r) => !r.resources.includes(resource)),
  );

describe.skipIf(!lab)("kfwd doctor on the lab", () => {
  test("passes with the shipped Role, agent image check included", async () => {
    const r = await kfwd(["doctor", profileFor(lab!.namespace)], { env: { NO_COLOR: "1" }, timeoutMs: 90_000 });
    expect(r.stdout).toMatch(/^ok {3}kubeconfig: context .* user "kfwd-dev", namespace "kfwd-e2e"$/m);
    expect(r.stdout).toMatch(/^ok {3}cluster: Kubernetes v1\.\d+/m);
    expect(r.stdout).toMatch(/^ok {3}permissions: all \d+ permissions/m);
    expect(r.stdout).toMatch(/^ok {3}port-forward link: pods\/portforward granted/m);
    expect(r.stdout).toMatch(/^ok {3}agent image: .* → 1\.\d+\.\d+/m);
    expect(r.code).toBe(0);
  }, 100_000);

  describe("with a Role missing one rule", () => {
    const ns = `kfwd-doctor-${Date.now().toString(36)}`;
    let admin: KubeClient;
    beforeAll(async () => {
      admin = await KubeClient.fromKubeconfig({ kubeconfig: lab!.admin });
      await namespaceWithRoleLacking(admin, ns, "pods/log");
    });
    afterAll(async () => {
      await admin?.delete(`/api/v1/namespaces/${ns}`, { ignoreNotFound: true });
    });

    test("names the missing permission in text, exits 1", async () => {
      const r = await kfwd(["doctor", "--no-run-check", profileFor(ns)], { env: { NO_COLOR: "1" } });
      expect(r.stdout).toMatch(
        /^FAIL permissions: 1 of \d+ missing in namespace "kfwd-doctor-[a-z0-9]+": get pods\/log$/m,
      );
      expect(r.stdout).toContain(`get pods/log in ${ns}`);
      expect(r.stdout).toContain(
        `kubectl -n ${ns} create rolebinding kfwd-missing --role=kfwd-missing --user=kfwd-dev`,
      );
      expect(r.code).toBe(1);
    }, 30_000);

    test("--json lists it, and the printed Role and commands grant it", async () => {
      const r = await kfwd(["doctor", "--no-run-check", "--json", profileFor(ns)]);
      expect(r.code).toBe(1);
      const report = JSON.parse(r.stdout) as DoctorJson;
      expect(report.ok).toBe(false);
      expect(report.missing).toEqual([{ verb: "get", group: "", resource: "pods/log" }]);
      expect(report.grant?.commands).toHaveLength(2);
      const kubectl = lab!.kubectl;
      // Run the doctor's own commands, as an admin would paste them.
      const script = `kubectl() { "${kubectl}" --kubeconfig "${lab!.admin}" "$@"; }\n${report.grant!.commands.join("\n")}\n`;
      const applied = Bun.spawnSync(["bash", "-c", script], { stderr: "pipe", stdout: "pipe" });
      expect(applied.stderr.toString()).toBe("");
      expect(applied.exitCode).toBe(0);
      // The API server's RBAC cache takes a moment to see the new binding.
      let again = await kfwd(["doctor", "--no-run-check", profileFor(ns)], { env: { NO_COLOR: "1" } });
      for (let i = 0; i < 20 && again.code !== 0; i++) {
        await Bun.sleep(250);
        again = await kfwd(["doctor", "--no-run-check", profileFor(ns)], { env: { NO_COLOR: "1" } });
      }
      expect(again.stdout).toMatch(/^ok {3}permissions: all/m);
      expect(again.code).toBe(0);
    }, 30_000);
  });

  describe("with a Role missing pods/portforward (optional)", () => {
    const ns = `kfwd-nopf-${Date.now().toString(36)}`;
    let admin: KubeClient;
    beforeAll(async () => {
      admin = await KubeClient.fromKubeconfig({ kubeconfig: lab!.admin });
      await namespaceWithRoleLacking(admin, ns, "pods/portforward");
    });
    afterAll(async () => {
      await admin?.delete(`/api/v1/namespaces/${ns}`, { ignoreNotFound: true });
    });

    test("a warning that sessions run over exec only, not a failure", async () => {
      const r = await kfwd(["doctor", "--no-run-check", profileFor(ns)], { env: { NO_COLOR: "1" } });
      expect(r.stdout).toMatch(/^ok {3}permissions: all/m);
      expect(r.stdout).toMatch(
        /^warn port-forward link: get pods\/portforward, create pods\/portforward missing .*exec only/m,
      );
      expect(r.code).toBe(0);
    }, 30_000);
  });

  describe("with a Role missing pods/exec, kfwd run and kfwd doctor name the same permission", () => {
    const ns = `kfwd-noexec-${Date.now().toString(36)}`;
    let admin: KubeClient;
    beforeAll(async () => {
      admin = await KubeClient.fromKubeconfig({ kubeconfig: lab!.admin });
      await namespaceWithRoleLacking(admin, ns, "pods/exec");
    });
    afterAll(async () => {
      await admin?.delete(`/api/v1/namespaces/${ns}`, { ignoreNotFound: true });
    });

    test("doctor", async () => {
      const r = await kfwd(["doctor", "--no-run-check", profileFor(ns)], { env: { NO_COLOR: "1" } });
      expect(r.stdout).toMatch(/^FAIL permissions: .*create pods\/exec/m);
      expect(r.code).toBe(1);
    }, 30_000);

    test("run: fails with the verb, the resource and the Role rule that grants it, and leaves nothing behind", async () => {
      const r = await kfwd(["run", profileFor(ns), "--", "true"], { env: { NO_COLOR: "1" }, timeoutMs: 60_000 });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("pods/exec");
      expect(r.stderr).toMatch(/create|get/);
      expect(r.stderr).toContain("resources:");
      const left = await admin.list<unknown>(`/apis/batch/v1/namespaces/${ns}/jobs`, {
        labelSelector: "app.kubernetes.io/managed-by=kfwd",
      });
      expect(left.items).toEqual([]);
    }, 70_000);
  });
});
