/**
 * `kfwd doctor`: checks in order, each building on the last (no kubeconfig → nothing else can run). A check
 * that cannot run because an earlier one failed is reported as skipped, so the output always has every line.
 */
import type { ClusterUser } from "../kube/current-user";
import type { Profile } from "../profile/index";
import { checkCluster, checkKubeconfig } from "./checks-cluster";
import { checkEphemeral, checkPermissions, checkPortForward } from "./checks-rbac";
import type { Permission } from "./role";
import { checkAgentImage } from "./run-check";
import { checkTransparent } from "./checks-machine";
import type { CheckResult } from "./types";

export type { CheckResult, CheckStatus } from "./types";

export interface DoctorReport {
  ok: boolean;
  profile: string;
  namespace?: string;
  user?: ClusterUser;
  checks: CheckResult[];
  missing: Permission[];
}

export interface DoctorOptions {
  /** Start a pod with the agent image (default true; --no-run-check turns it off). */
  runCheck: boolean;
  /** Called as each check finishes, so a terminal shows progress line by line. */
  onCheck?: (result: CheckResult) => void;
}

const TITLES = {
  cluster: "cluster",
  permissions: "permissions",
  ephemeral: "ephemeral containers",
  portforward: "port-forward link",
  "agent-image": "agent image",
} as const;

export async function runDoctor(profile: Profile, opts: DoctorOptions): Promise<DoctorReport> {
  const checks: CheckResult[] = [];
  const add = (r: CheckResult) => {
    checks.push(r);
    opts.onCheck?.(r);
  };
  const report = (extra: Partial<DoctorReport> = {}): DoctorReport => ({
    ok: checks.every((c) => c.status !== "fail"),
    profile: profile.source.path,
    checks,
    missing: [],
    ...extra,
  });
  const skipRest = (after: string, ids: (keyof typeof TITLES)[]) => {
    for (const id of ids) add({ id, title: TITLES[id], status: "skip", detail: `not checked: ${after} failed` });
  };

  add(checkTransparent());
  if (profile.target.kind === "local") {
    add({
      id: "kubeconfig",
      title: "target",
      status: "ok",
      detail: "the profile's target is a local agent: there is no cluster to check",
    });
    return report();
  }
  const kc = await checkKubeconfig(profile);
  add(kc.result);
  const client = kc.client;
  if (!client) {
    skipRest("kubeconfig", ["cluster", "permissions", "ephemeral", "portforward", "agent-image"]);
    return report();
  }
  try {
    const cluster = await checkCluster(client);
    add(cluster.result);
    const user = cluster.user;
    if (!user) {
      skipRest("cluster", ["permissions", "ephemeral", "portforward", "agent-image"]);
      return report({ namespace: client.namespace });
    }
    const perms = await checkPermissions(client, profile.incoming.mode !== undefined);
    add(perms.result);
    add(await checkEphemeral(client, profile, perms.denied));
    add(await checkPortForward(client, profile));
    const canCreatePods = !perms.denied.some((p) => p.resource === "pods" && (p.verb === "create" || p.verb === "get"));
    if (!opts.runCheck)
      add({ id: "agent-image", title: TITLES["agent-image"], status: "skip", detail: "not checked (--no-run-check)" });
    else if (!canCreatePods)
      add({
        id: "agent-image",
        title: TITLES["agent-image"],
        status: "skip",
        detail: "not checked: no permission to create and get pods",
      });
    else add(await checkAgentImage(client, profile, user.name));
    return report({ namespace: client.namespace, user, missing: perms.denied });
  } finally {
    client.close();
  }
}
