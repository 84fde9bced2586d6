/**
 * Permissions, asked of the API server with SelfSubjectAccessReview (which needs no RBAC of its own): every
 * verb on every resource of deploy/kfwd-role.yaml, in the profile's namespace. And ephemeral containers,
 * which need both the API (discovery) and the permission.
 */
import type { KubeClient } from "../kube/client";
import type { Profile } from "../profile/index";
import { failed } from "./checks-cluster";
import { permissionsOf, shippedIncomingRules, shippedRules, type Permission } from "./role";
import type { CheckResult } from "./types";
import type { APIResourceList } from "../kube/types";

/** Rules of the kfwd Role a session can do without (a warning when missing, not a failure). */
const OPTIONAL_RESOURCES = new Set(["pods/portforward"]);

export const describePermission = (p: Permission): string => `${p.verb} ${p.resource}${p.group ? ` (${p.group})` : ""}`;

export async function checkPermissions(
  client: KubeClient,
  incoming = false,
): Promise<{ result: CheckResult; denied: Permission[] }> {
  const title = "permissions";
  // [incoming] needs the Role kfwd-incoming as well; without it, only the kfwd Role is checked.
  const wanted = permissionsOf([...shippedRules(), ...(incoming ? shippedIncomingRules() : [])]).filter(
    (p) => !(p.group === "" && OPTIONAL_RESOURCES.has(p.resource)),
  );
  try {
    const allowed = await Promise.all(
      wanted.map((p) => {
        const [resource = p.resource, subresource] = p.resource.split("/");
        return client.selfSubjectAccessReview({
          verb: p.verb,
          group: p.group,
          resource,
          ...(subresource ? { subresource } : {}),
          namespace: client.namespace,
        });
      }),
    );
    const denied = wanted.filter((_, i) => !allowed[i]);
    const ns = `namespace "${client.namespace}"`;
    if (denied.length === 0)
      return {
        result: {
          id: "permissions",
          title,
          status: "ok",
          detail: `all ${wanted.length} permissions of the kfwd Role${incoming ? "s (kfwd, kfwd-incoming)" : ""} granted in ${ns}`,
        },
        denied,
      };
    const detail = `${denied.length} of ${wanted.length} missing in ${ns}: ${denied.map(describePermission).join(", ")}`;
    return {
      result: {
        id: "permissions",
        title,
        status: "fail",
        detail,
        missing: denied,
        hint: "The Role below grants what is missing.",
      },
      denied,
    };
  } catch (e) {
    return { result: failed("permissions", title, e), denied: [] };
  }
}

/** The port-forward link: optional, faster than exec; without the permission sessions run over exec only. */
export async function checkPortForward(client: KubeClient, profile: Profile): Promise<CheckResult> {
  const title = "port-forward link"; // TITLES.portforward in index.ts
  if (profile.agent.transport === "exec")
    return { id: "portforward", title, status: "ok", detail: '[agent] transport = "exec": not used' };
  try {
    const verbs = ["get", "create"];
    const allowed = await Promise.all(
      verbs.map((verb) =>
        client.selfSubjectAccessReview({
          verb,
          resource: "pods",
          subresource: "portforward",
          namespace: client.namespace,
        }),
      ),
    );
    const missing = verbs
      .filter((_, i) => !allowed[i])
      .map((verb) => ({ verb, group: "", resource: "pods/portforward" }));
    if (missing.length === 0)
      return {
        id: "portforward",
        title,
        status: "ok",
        detail: "pods/portforward granted: streams use the faster port-forward link",
      };
    return {
      id: "portforward",
      title,
      status: "warn",
      detail: `${missing.map(describePermission).join(", ")} missing in namespace "${client.namespace}": sessions run over exec only (about half port-forward's throughput)`,
      missing,
      hint: "Optional. The kfwd Role's pods/portforward rule (deploy/kfwd-role.yaml) grants it.",
    };
  } catch (e) {
    return failed("portforward", title, e);
  }
}

/** Whether this profile's sessions put the agent in an ephemeral container (see [agent] placement). */
export function usesEphemeral(profile: Profile): boolean {
  const placement = profile.agent.placement;
  return (
    placement === "ephemeral" ||
    (placement === "auto" && profile.target.kind !== "none" && profile.target.kind !== "local")
  );
}

export async function checkEphemeral(
  client: KubeClient,
  profile: Profile,
  denied: readonly Permission[],
): Promise<CheckResult> {
  const title = "ephemeral containers";
  const needed = usesEphemeral(profile);
  // Not needed by this profile: a missing piece is worth a warning (another profile may need it), not a failure.
  const bad = needed ? ("fail" as const) : ("warn" as const);
  const why = needed
    ? ""
    : ` (this profile uses placement "${profile.agent.placement}" with ${profile.target.kind === "none" ? "no target" : "a target"}, so it does not need them)`;
  try {
    const core = await client.get<APIResourceList>("/api/v1");
    const sub = core.resources?.find((r) => r.name === "pods/ephemeralcontainers");
    if (!sub?.verbs?.includes("patch")) {
      return {
        id: "ephemeral",
        title,
        status: bad,
        detail: `the API server has no pods/ephemeralcontainers subresource${why}`,
        hint: 'Use [agent] placement = "pod" (an agent pod beside the target), or a cluster of Kubernetes 1.25 or later.',
      };
    }
    const lacking = denied.filter((p) => p.resource === "pods/ephemeralcontainers");
    if (lacking.length > 0) {
      return {
        id: "ephemeral",
        title,
        status: bad,
        detail: `supported, but not permitted: ${lacking.map((p) => p.verb).join(", ")} pods/ephemeralcontainers in namespace "${client.namespace}"${why}`,
        hint: 'Grant the rule below, or use [agent] placement = "pod".',
      };
    }
    return {
      id: "ephemeral",
      title,
      status: "ok",
      detail: `pods/ephemeralcontainers is served and permitted in namespace "${client.namespace}"${needed ? "" : " (not used by this profile)"}`,
    };
  } catch (e) {
    return { ...failed("ephemeral", title, e), status: bad };
  }
}
