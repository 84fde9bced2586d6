/**
 * `kfwd doctor` with [incoming] checks the kfwd and kfwd-incoming Roles of deploy/kfwd-role.yaml: every
 * permission a session asks for before it changes anything is in them, so a user whose doctor passes never
 * meets a missing permission half-way (and RBAC lets the user create the agent's narrower Role).
 */
import { describe, expect, test } from "bun:test";
import { neededPermissions } from "../../src/capabilities/incoming/plan";
import { incomingSettings } from "../../src/capabilities/incoming/settings";
import { permissionsOf, shippedIncomingRules, shippedRules } from "../../src/doctor/role";
import { ok } from "../helpers/profile";

const granted = permissionsOf([...shippedRules(), ...shippedIncomingRules()]);
const key = (p: { verb: string; group: string; resource: string }) => `${p.verb} ${p.group}/${p.resource}`;

describe("the Roles the doctor checks for [incoming]", () => {
  const modes = [
    'mode = "steal"',
    'mode = "mirror"',
    'mode = "steal"\nheader = "x-dev-user: alice"',
    'mode = "replace"',
  ];
  for (const incoming of modes)
    test(`hold every permission a session asks for: ${incoming.replace("\n", ", ")}`, () => {
      const settings = incomingSettings(ok(`[target]\nservice = "checkout"\n[incoming]\n${incoming}\n`))!;
      for (const resource of ["deployments", "statefulsets"] as const) {
        const workload = { group: "apps", resource, name: "checkout", podLabels: {}, replicas: 2 };
        const plan = { services: [], ports: [], ...(settings.mode === "replace" ? { workload } : {}) };
        const missing = neededPermissions(plan, settings).filter((p) => !granted.some((g) => key(g) === key(p)));
        expect(missing).toEqual([]);
      }
    });

  test("kfwd-incoming is separate: the kfwd Role alone cannot take a Service", () => {
    const outgoing = permissionsOf(shippedRules()).map(key);
    expect(outgoing).not.toContain("update /services");
    expect(permissionsOf(shippedIncomingRules()).map(key)).toContain("update /services");
  });
});
