/**
 * Can the agent image run here? Start the pod a session would start (the agent's own pod spec), with the
 * profile's image running `<bun> --version` instead of the keeper, wait for it with the agent's own wait logic,
 * delete it. This is where image pull failures and Pod Security rejections show up before a real session meets
 * them, so each gets its own message. The pod carries kfwd's labels, so if the doctor is killed midway
 * `kfwd clean` removes it.
 */
import { randomBytes } from "node:crypto";
import { KfwdError } from "../errors";
import { apiPath } from "../kube/api-path";
import type { KubeClient } from "../kube/client";
import { ownerLabel } from "../kube/labels";
import type { Pod } from "../kube/types";
import {
  AGENT_CONTAINER,
  agentAnnotations,
  agentLabels,
  agentPodSpec,
  type AgentSpecOptions,
} from "../launch/kube/agent-spec";
import { waitForAgent } from "../launch/kube/wait";
import type { Profile } from "../profile/index";
import { failed } from "./checks-cluster";
import type { CheckResult } from "./types";

/** The check pod: the agent's pod spec, running `bun --version`. */
export function checkPodFor(name: string, profile: Profile, user: string): object {
  const a = profile.agent;
  const spec: AgentSpecOptions = {
    sessionId: name,
    owner: { name: user, label: ownerLabel(user) },
    profilePath: profile.source.path,
    image: a.image,
    bun: a.bun,
    idleTimeoutMs: a.idle_timeout,
    cpu: a.cpu,
    memory: a.memory,
    firstWaitMs: 0,
  };
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels: agentLabels(spec), annotations: agentAnnotations(spec) },
    spec: {
      ...agentPodSpec(spec, undefined, [a.bun, "--version"]),
      // The backstop should the doctor die before deleting it.
      activeDeadlineSeconds: Math.ceil(a.start_timeout / 1000) + 30,
    },
  };
}

export async function checkAgentImage(client: KubeClient, profile: Profile, user: string): Promise<CheckResult> {
  const title = "agent image";
  const image = profile.agent.image;
  const name = `kfwd-doctor-${randomBytes(4).toString("hex")}`;
  const path = apiPath({ resource: "pods", namespace: client.namespace, name });
  const started = performance.now();
  try {
    await client.create(apiPath({ resource: "pods", namespace: client.namespace }), checkPodFor(name, profile, user));
  } catch (e) {
    if (e instanceof KfwdError && e.code === "KFWD_POD_SECURITY_REJECTED") {
      return {
        id: "agent-image",
        title,
        status: "fail",
        detail: `Pod Security rejected a pod like the agent's in namespace "${client.namespace}": ${e.message}`,
        hint: 'kfwd\'s pods meet the "restricted" level; a stricter admission policy (or webhook) is in the way. Ask the cluster admin which pods it admits.',
      };
    }
    return failed("agent-image", title, e);
  }
  try {
    const pod = await waitForAgent(client, {
      namespace: client.namespace,
      podName: name,
      container: AGENT_CONTAINER,
      ephemeral: false,
      eventsFor: [],
      image,
      timeoutMs: profile.agent.start_timeout,
      progress: () => {},
      untilExit: true,
    });
    const terminated = exitOf(pod);
    const exitCode = terminated?.exitCode ?? -1;
    const secs = ((performance.now() - started) / 1000).toFixed(1);
    const log = String((await client.request<unknown>("GET", `${path}/log`).catch(() => "")) ?? "").trim();
    if (exitCode === 0)
      return {
        id: "agent-image",
        title,
        status: "ok",
        detail: `${image} runs \`${profile.agent.bun} --version\` → ${log || "(no output)"} (${secs} s, pod created and removed)`,
      };
    return {
      id: "agent-image",
      title,
      status: "fail",
      detail: `\`${profile.agent.bun} --version\` in ${image} exited with ${exitCode}${terminated?.reason ? ` (${terminated.reason})` : ""}${log ? `: ${log.slice(0, 300)}` : ""}`,
      hint: "The image must hold a bun binary: set [agent] image to a Bun image, or [agent] bun to its path.",
    };
  } catch (e) {
    if (e instanceof KfwdError && e.code === "KFWD_AGENT_IMAGE_PULL")
      return {
        id: "agent-image",
        title,
        status: "fail",
        detail: e.message,
        hint: "Check the image name, that the node can reach its registry, or mirror it and set [agent] image.",
      };
    if (e instanceof KfwdError && e.code === "KFWD_AGENT_START_TIMEOUT")
      return {
        id: "agent-image",
        title,
        status: "fail",
        detail: `${image} did not finish \`${profile.agent.bun} --version\`: ${e.message}`,
        hint: "A slow image pull? Pull the image on the nodes, or raise [agent] start_timeout.",
      };
    return failed("agent-image", title, e);
  } finally {
    await client.delete(path, { ignoreNotFound: true, query: { gracePeriodSeconds: 0 } }).catch(() => {});
  }
}

function exitOf(pod: Pod): { exitCode?: number; reason?: string } | undefined {
  return pod.status?.containerStatuses?.find((c) => c.name === AGENT_CONTAINER)?.state?.terminated;
}
