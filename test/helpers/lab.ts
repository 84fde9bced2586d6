/**
 * The lab cluster for `*.lab.test.ts` (and the cluster benchmarks), found as a fresh clone finds it: through
 * `npm run lab -- status`, whose lines `kubeconfig: PATH`, `kubeconfig-restricted: PATH` and `kubectl: PATH`
 * name the admin's and the restricted user's kubeconfigs and the lab's kubectl. When the lab is down the lab
 * tests skip, unless KFWD_LAB=1 says the lab is required: then they fail.
 */
import { test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { writeProfile } from "./kfwd";

export interface Lab {
  /** The cluster admin's kubeconfig: for objects the restricted Role may not create. */
  admin: string;
  /** The restricted user's kubeconfig: it holds only deploy/kfwd-role.yaml, in `namespace`. */
  restricted: string;
  kubectl: string;
  namespace: string;
}

const ROOT = join(import.meta.dir, "../..");
const labRequired = process.env.KFWD_LAB === "1";

/** The lab as `npm run lab -- status` reports it; undefined when it is not up. */
export function findLab(): Lab | undefined {
  const res = Bun.spawnSync(["npm", "run", "--silent", "lab", "--", "status"], {
    cwd: ROOT,
    stdout: "pipe",
    stderr: "pipe",
  });
  if (res.exitCode !== 0) return undefined;
  const out = res.stdout.toString();
  const field = (name: string): string | undefined => {
    const value = new RegExp(`^${name}:\\s*(\\S+)`, "m").exec(out)?.[1];
    return value && existsSync(value) ? value : undefined;
  };
  const admin = field("kubeconfig");
  const restricted = field("kubeconfig-restricted");
  const kubectl = field("kubectl");
  return admin && restricted && kubectl ? { admin, restricted, kubectl, namespace: "kfwd-e2e" } : undefined;
}

export const lab = findLab();

let announced = false;
/** Call at the top of a lab test file: registers a failing test when the lab is required but absent. */
export function requireLabOrSkip(): Lab | undefined {
  if (lab) return lab;
  if (labRequired) {
    test("the lab is up (KFWD_LAB=1)", () => {
      throw new Error("KFWD_LAB=1 but the lab is not up (npm run lab -- status); run `npm run lab -- up` as root.");
    });
  } else if (!announced) {
    announced = true;
    console.warn("lab tests skipped: the lab is not up (npm run lab -- up as root; KFWD_LAB=1 requires it).");
  }
  return undefined;
}

/** A profile for the restricted user; `target` is TOML for [target] (empty: targetless). */
export function labProfile(lab: Lab, target: string, agent = ""): string {
  return writeProfile(
    `[cluster]\nkubeconfig = "${lab.restricted}"\nnamespace = "${lab.namespace}"\n[target]\n${target}\n[agent]\n${agent}\n`,
  );
}
