/**
 * The lab side of bench/kube.ts: find the lab (test/helpers/lab.ts), run its kubectl,
 * and set up one testapp pod behind a Service (as admin) for the run, removed at the end.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findLab as labStatus, type Lab } from "../test/helpers/lab";
import { BUN_IMAGE, restrictedContainer } from "../test/helpers/lab-objects";
import { testapp } from "../test/helpers/testapp";

export type { Lab };

/** The lab as `npm run lab -- status` reports it; a benchmark cannot run without it. */
export function findLab(): Lab {
  const lab = labStatus();
  if (!lab) throw new Error("the lab is not up: run `npm run lab -- up` (as root), then the benchmark again");
  return lab;
}

export function kubectl(lab: Lab, args: string[], opts: { as?: "admin" | "restricted"; input?: string } = {}): string {
  const kc = opts.as === "restricted" ? lab.restricted : lab.admin;
  const r = spawnSync(lab.kubectl, ["--kubeconfig", kc, "-n", lab.namespace, ...args], {
    encoding: "utf8",
    input: opts.input ?? "",
  });
  if (r.status !== 0) throw new Error(`kubectl ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** Port of the upload sink beside the testapp: answers any request with the number of body bytes it read. */
export const SINK_PORT = 8081;
const SINK = `Bun.serve({port:${SINK_PORT},hostname:"0.0.0.0",maxRequestBodySize:1e12,async fetch(r){let n=0;if(r.body)for await(const c of r.body)n+=c.length;return new Response(String(n))}})`;

/**
 * A testapp pod (HTTP :8080 with /bytes/<n>; an upload sink on :8081 in a Bun container beside it) and a
 * Service of the same name; returns once the pod is Ready.
 */
export function startTestapp(lab: Lab, name: string): void {
  const sink = {
    name: "sink",
    image: BUN_IMAGE,
    imagePullPolicy: "IfNotPresent",
    command: ["bun", "-e", SINK],
    ports: [{ containerPort: SINK_PORT }],
    readinessProbe: { tcpSocket: { port: SINK_PORT }, periodSeconds: 1 },
    securityContext: restrictedContainer(65532),
  };
  const { service, workload } = testapp({
    name,
    kind: "Pod",
    labels: { "app.kubernetes.io/managed-by": "kfwd-bench" },
    sidecars: [sink],
    ports: { http: 8080, sink: SINK_PORT },
  });
  const objects = [service, workload];
  kubectl(lab, ["apply", "-f", "-"], { input: JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }) });
  kubectl(lab, ["wait", "--for=condition=Ready", `pod/${name}`, "--timeout=120s"]);
}

/**
 * A pod running only the agent image's Bun, idle: the target of the raw `kubectl exec` baseline (the image
 * has no shell or coreutils). Returns once it runs.
 */
export function startBunPod(lab: Lab, name: string): void {
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels: { app: name, "app.kubernetes.io/managed-by": "kfwd-bench" } },
    spec: {
      terminationGracePeriodSeconds: 0,
      containers: [
        {
          name: "bun",
          image: BUN_IMAGE,
          imagePullPolicy: "IfNotPresent",
          command: ["bun", "-e", "setInterval(() => {}, 1e6)"],
          securityContext: restrictedContainer(65532),
        },
      ],
    },
  };
  kubectl(lab, ["apply", "-f", "-"], { input: JSON.stringify(pod) });
  kubectl(lab, ["wait", "--for=condition=Ready", `pod/${name}`, "--timeout=120s"]);
}

export function stopTestapp(lab: Lab, name: string): void {
  try {
    kubectl(lab, ["delete", "pod,service", name, "--ignore-not-found", "--wait=false", "--grace-period=0"]);
  } catch (e) {
    console.error(`cleanup: ${(e as Error).message}`);
  }
}

/** A profile file for the restricted user, reaching the API server through `kubeconfig` (default: directly). */
export function profile(lab: Lab, body: string, kubeconfig = lab.restricted): string {
  const dir = mkdtempSync(join(tmpdir(), "kfwd-bench-kube-"));
  const path = join(dir, "profile.toml");
  writeFileSync(path, `[cluster]\nkubeconfig = "${kubeconfig}"\nnamespace = "${lab.namespace}"\n\n${body}\n`);
  return path;
}
