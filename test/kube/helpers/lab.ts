/**
 * The lab cluster for `*.lab.test.ts`: when /work/main/.lab-ready (or $KFWD_LAB_READY) exists it names an
 * admin kubeconfig and a restricted one (lines like `kubeconfig: PATH` / `kubeconfig-restricted: PATH`).
 * Without it those tests skip, unless KFWD_LAB=1 says the lab is required: then they fail.
 */
import { test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { apiPath } from "../../../src/kube/api-path";
import type { KubeClient } from "../../../src/kube/client";

export interface Lab {
  admin: string;
  restricted: string;
  namespace: string;
}

export const LAB_READY = process.env.KFWD_LAB_READY ?? join(import.meta.dir, "../../../.lab-ready");
export const labRequired = process.env.KFWD_LAB === "1";

function findLab(): Lab | undefined {
  if (!existsSync(LAB_READY)) return undefined;
  let admin: string | undefined;
  let restricted: string | undefined;
  let namespace = "kfwd-e2e";
  for (const line of readFileSync(LAB_READY, "utf8").split("\n")) {
    const ns = /namespace\s*[:=]\s*([a-z0-9-]+)/i.exec(line);
    if (ns?.[1]) namespace = ns[1];
    const kc = /^\s*kubeconfig(-restricted)?\s*[:=]\s*(\S+)/i.exec(line);
    if (!kc?.[2] || !existsSync(kc[2])) continue;
    if (kc[1]) restricted ??= kc[2];
    else admin ??= kc[2];
  }
  return admin && restricted ? { admin, restricted, namespace } : undefined;
}

export const lab = findLab();

let announced = false;
/** Call at the top of a lab test file: registers a failing test when the lab is required but absent. */
export function requireLabOrSkip(): Lab | undefined {
  if (lab) return lab;
  if (labRequired) {
    test("the lab is up (KFWD_LAB=1)", () => {
      throw new Error(`KFWD_LAB=1 but the lab is not ready: ${LAB_READY} is missing or names no admin and restricted kubeconfig (run \`npm run lab -- up\`).`);
    });
  } else if (!announced) {
    announced = true;
    console.warn(`kube lab tests skipped: ${LAB_READY} not found (start the lab, or set KFWD_LAB=1 to require it).`);
  }
  return undefined;
}

/** Images the lab imports into containerd. The Bun stand-in holds bun and nothing else: no sh, cat or sleep. */
export const BUN_IMAGE = "docker.io/oven/bun:1.4.5-slim";

/** `bun -e` scripts that stand in for shell tools in that image. */
export const BUN_CAT = ["bun", "-e", "process.stdin.pipe(process.stdout)"];
export const BUN_SLEEP = ["bun", "-e", "setTimeout(() => {}, 900_000)"];

/** A pod that passes Pod Security "restricted" and idles, for exec tests. */
export function idlePod(name: string, image = BUN_IMAGE): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels: { "app.kubernetes.io/managed-by": "kfwd-test", "kfwd.test/suite": "kube" } },
    spec: {
      restartPolicy: "Never",
      activeDeadlineSeconds: 900,
      terminationGracePeriodSeconds: 0,
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: "RuntimeDefault" } },
      containers: [
        {
          name: "main",
          image,
          imagePullPolicy: "IfNotPresent",
          command: BUN_SLEEP,
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, readOnlyRootFilesystem: true },
          resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "1", memory: "512Mi" } },
        },
      ],
    },
  };
}

interface PodStatus {
  status?: { phase?: string; containerStatuses?: { state?: { waiting?: { reason?: string; message?: string } } }[] };
}

/** Create the pod and wait until it runs; fails fast on a waiting reason like ErrImageNeverPull. */
export async function createRunningPod(client: KubeClient, namespace: string, pod: Record<string, unknown>, timeoutMs = 120_000): Promise<string> {
  const name = (pod.metadata as { name: string }).name;
  await client.create(apiPath({ resource: "pods", namespace }), pod);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const p = await client.get<PodStatus>(apiPath({ resource: "pods", namespace, name }));
    if (p.status?.phase === "Running") return name;
    const waiting = p.status?.containerStatuses?.[0]?.state?.waiting;
    if (waiting?.reason && /Err|BackOff|Invalid/.test(waiting.reason)) throw new Error(`pod ${name}: ${waiting.reason}: ${waiting.message ?? ""}`);
    if (p.status?.phase === "Failed" || p.status?.phase === "Succeeded") throw new Error(`pod ${name} ended: ${JSON.stringify(p.status)}`);
    if (Date.now() > deadline) throw new Error(`pod ${name} not running after ${timeoutMs} ms: ${JSON.stringify(p.status)}`);
    await Bun.sleep(500);
  }
}
