/**
 * The lab side of bench/kube.ts: find the lab (through `lab status`), run its kubectl,
 * and set up one testapp pod behind a Service (as admin) for the run, removed at the end.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Lab {
  admin: string;
  restricted: string;
  kubectl: string;
  namespace: string;
}

/** The lab as `npm run lab -- status` reports it (kubeconfig, kubeconfig-restricted and kubectl lines). */
export function findLab(root: string): Lab {
  const r = spawnSync("bash", [join(root, "lab/status.sh")], { encoding: "utf8" });
  const field = (name: string) => new RegExp(`^${name}:\\s*(\\S+)`, "m").exec(r.stdout ?? "")?.[1];
  const admin = field("kubeconfig");
  const restricted = field("kubeconfig-restricted");
  const kubectl = field("kubectl");
  if (r.status !== 0 || !admin || !restricted || !kubectl || ![admin, restricted, kubectl].every(existsSync)) {
    throw new Error("the lab is not up: run `npm run lab -- up` (as root), then the benchmark again");
  }
  return { admin, restricted, kubectl, namespace: "kfwd-e2e" };
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

const RESTRICTED = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ["ALL"] },
  runAsNonRoot: true,
  seccompProfile: { type: "RuntimeDefault" },
};

/** A testapp pod (HTTP :8080 with /bytes/<n>) and a Service of the same name; returns once the pod is Ready. */
export function startTestapp(lab: Lab, name: string): void {
  const labels = { app: name, "app.kubernetes.io/managed-by": "kfwd-bench" };
  const objects = [
    {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name, labels },
      spec: {
        terminationGracePeriodSeconds: 0,
        containers: [
          {
            name: "app",
            image: "kfwd.local/testapp:1",
            imagePullPolicy: "IfNotPresent",
            ports: [{ containerPort: 8080 }],
            readinessProbe: { httpGet: { path: "/hello", port: 8080 }, periodSeconds: 1 },
            securityContext: { ...RESTRICTED, runAsUser: 65532 },
          },
        ],
      },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name, labels },
      spec: { selector: { app: name }, ports: [{ name: "http", port: 8080, targetPort: 8080 }] },
    },
  ];
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
          image: "docker.io/oven/bun:1.4.5-slim",
          imagePullPolicy: "IfNotPresent",
          command: ["bun", "-e", "setInterval(() => {}, 1e6)"],
          securityContext: { ...RESTRICTED, runAsUser: 65532 },
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

/** A profile file for the restricted user. */
export function profile(lab: Lab, body: string): string {
  const dir = mkdtempSync(join(tmpdir(), "kfwd-bench-kube-"));
  const path = join(dir, "profile.toml");
  writeFileSync(path, `[cluster]\nkubeconfig = "${lab.restricted}"\nnamespace = "${lab.namespace}"\n\n${body}\n`);
  return path;
}
