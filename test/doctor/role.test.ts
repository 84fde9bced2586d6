/** The doctor's list of permissions comes from deploy/kfwd-role.yaml, and the Role it prints grants exactly what is missing. */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseRole, permissionsOf, roleYaml, rulesFor, shippedRoleText, shippedRules } from "../../src/doctor/role";
import { checkLine, grantAdvice, reportText } from "../../src/doctor/report";
import type { DoctorReport } from "../../src/doctor/index";

const ROLE_FILE = join(import.meta.dir, "../../deploy/kfwd-role.yaml");

describe("the kfwd Role as the doctor reads it", () => {
  test("the embedded text is deploy/kfwd-role.yaml", () => {
    expect(shippedRoleText()).toBe(readFileSync(ROLE_FILE, "utf8"));
  });

  test("every verb x resource x group of every rule becomes one permission", () => {
    const rules = shippedRules();
    const expected = rules.reduce((n, r) => n + r.apiGroups.length * r.resources.length * r.verbs.length, 0);
    const perms = permissionsOf(rules);
    expect(perms.length).toBe(expected);
    expect(perms).toContainEqual({ verb: "create", group: "", resource: "pods/exec" });
    expect(perms).toContainEqual({ verb: "patch", group: "", resource: "pods/ephemeralcontainers" });
  });

  test("a malformed Role is an error, not an empty list", () => {
    expect(() => parseRole("kind: Role\n")).toThrow(/no rules list/);
    expect(() => parseRole('rules:\n  - apiGroups: [""]\n    verbs: [get]\n')).toThrow(/rule 1/);
  });

  test("rulesFor groups missing permissions by group and verbs, and round-trips through YAML", () => {
    const missing = [
      { verb: "get", group: "", resource: "pods/log" },
      { verb: "get", group: "", resource: "configmaps" },
      { verb: "list", group: "apps", resource: "deployments" },
      { verb: "get", group: "apps", resource: "deployments" },
    ];
    const rules = rulesFor(missing);
    expect(rules).toEqual([
      { apiGroups: [""], resources: ["pods/log", "configmaps"], verbs: ["get"] },
      { apiGroups: ["apps"], resources: ["deployments"], verbs: ["list", "get"] },
    ]);
    const yaml = roleYaml("kfwd-missing", "shop", rules);
    const doc = Bun.YAML.parse(yaml) as { metadata: { name: string; namespace: string } };
    expect(doc.metadata).toMatchObject({ name: "kfwd-missing", namespace: "shop" });
    expect(permissionsOf(parseRole(yaml)).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual(
      [...missing].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    );
  });
});

describe("doctor output", () => {
  const report: DoctorReport = {
    ok: false,
    profile: "/p.toml",
    namespace: "shop",
    user: { name: "alice", groups: [], source: "server" },
    checks: [
      { id: "cluster", title: "cluster", status: "ok", detail: "Kubernetes v1.33.0" },
      {
        id: "permissions",
        title: "permissions",
        status: "fail",
        detail: "1 of 27 missing",
        missing: [{ verb: "get", group: "", resource: "pods/log" }],
      },
    ],
    missing: [{ verb: "get", group: "", resource: "pods/log" }],
  };

  test("plain lines say ok/FAIL; a terminal gets marks", () => {
    expect(checkLine(report.checks[0]!, false)).toBe("ok   cluster: Kubernetes v1.33.0");
    expect(checkLine(report.checks[1]!, false)).toStartWith("FAIL permissions:");
    expect(checkLine(report.checks[0]!, true)).toContain("✓");
  });

  test("missing permissions come with the Role and the commands that grant them", () => {
    const text = reportText(report, false);
    expect(text).toContain("get pods/log in shop");
    expect(text).toContain("kubectl -n shop apply -f - <<'EOF'");
    expect(text).toContain('resources: ["pods/log"]');
    expect(text).toContain("kubectl -n shop create rolebinding kfwd-missing --role=kfwd-missing --user=alice");
    expect(grantAdvice({ ...report, missing: [] })).toBeUndefined();
  });
});
