/** Where the agent runs, and why: the profile's choice, or for `auto` what the cluster allows. */
import type { KubeClient } from "../../kube/index";

export type Placement = "ephemeral" | "pod";

export async function choosePlacement(
  client: KubeClient,
  namespace: string,
  wanted: "auto" | Placement,
  targetPod: string | undefined,
): Promise<{ placement: Placement; why: string }> {
  if (targetPod === undefined) {
    return {
      placement: "pod",
      why:
        wanted === "ephemeral"
          ? "targetless session: there is no pod to add an ephemeral container to, so an agent pod instead"
          : "targetless session",
    };
  }
  if (wanted !== "auto") return { placement: wanted, why: "[agent] placement in the profile" };
  const allowed = await client.selfSubjectAccessReview({
    verb: "patch",
    resource: "pods",
    subresource: "ephemeralcontainers",
    namespace,
    name: targetPod,
  });
  return allowed
    ? {
        placement: "ephemeral",
        why: "auto: you may add ephemeral containers to the target pod (it shares the pod's network and reads the target's env)",
      }
    : {
        placement: "pod",
        why: "auto: you may not patch pods/ephemeralcontainers here, so a separate agent pod (the image's ENV will be missing from the env)",
      };
}
