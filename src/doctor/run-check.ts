/**
 * Can the agent image run here? Start a short-lived pod with the profile's image running `<bun> --version`,
 * wait for its answer, delete it. This is where image pull failures and Pod Security rejections show up
 * before a real session meets them, so each gets its own message. The pod carries kfwd's labels, so if the
 * doctor is killed midway `kfwd clean` removes it.
 */
import { randomBytes } from "node:crypto";
import { KfwdError } from "../errors";
import { apiPath } from "../kube/api-path";
import type { KubeClient } from "../kube/client";
import { ANNOTATION, sessionLabels } from "../kube/labels";
import type { Profile } from "../profile/index";
import { failed } from "./checks-cluster";
import type { CheckResult } from "./types";

interface ContainerState {
  waiting?: { reason?: string; message?: string };
  terminated?: { exitCode?: number; reason?: string; message?: string };
}
interface PodStatus {
  phase?: string;
  conditions?: { type: string; status: string; reason?: string; message?: string }[];
  containerStatuses?: { state?: ContainerState }[];
}

/** Waiting reasons that will not resolve by waiting longer. */
const HOPELESS = new Set([
  "ImagePullBackOff",
  "ErrImagePull",
  "InvalidImageName",
  "ErrImageNeverPull",
  "CreateContainerConfigError",
  "CreateContainerError",
  "RunContainerError",
]);

function podFor(name: string, profile: Profile, user: string): object {
  const a = profile.agent;
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels: sessionLabels(name, user), annotations: { [ANNOTATION.profile]: profile.source.path } },
    spec: {
      restartPolicy: "Never",
      activeDeadlineSeconds: Math.ceil(a.start_timeout / 1000) + 30,
      terminationGracePeriodSeconds: 0,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      // What Pod Security "restricted" asks for, like the real agent.
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 65532,
        runAsGroup: 65532,
        seccompProfile: { type: "RuntimeDefault" },
      },
      containers: [
        {
          name: "agent",
          image: a.image,
          imagePullPolicy: "IfNotPresent",
          command: [a.bun, "--version"],
          securityContext: {
            allowPrivilegeEscalation: false,
            capabilities: { drop: ["ALL"] },
            readOnlyRootFilesystem: true,
          },
          resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: a.cpu, memory: a.memory } },
        },
      ],
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
    await client.create(apiPath({ resource: "pods", namespace: client.namespace }), podFor(name, profile, user));
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
    const outcome = await waitForPod(client, path, profile.agent.start_timeout);
    const secs = ((performance.now() - started) / 1000).toFixed(1);
    if (outcome.kind === "done") {
      const log = String((await client.request<unknown>("GET", `${path}/log`).catch(() => "")) ?? "").trim();
      if (outcome.exitCode === 0)
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
        detail: `\`${profile.agent.bun} --version\` in ${image} exited with ${outcome.exitCode}${outcome.reason ? ` (${outcome.reason})` : ""}${log ? `: ${log.slice(0, 300)}` : ""}`,
        hint: "The image must hold a bun binary: set [agent] image to a Bun image, or [agent] bun to its path.",
      };
    }
    if (outcome.kind === "stuck") {
      const pull = /Image|Pull/i.test(outcome.reason);
      return {
        id: "agent-image",
        title,
        status: "fail",
        detail: `${image} cannot start: ${outcome.reason}${outcome.message ? `: ${outcome.message}` : ""}`,
        hint: pull
          ? "Check the image name, that the node can reach its registry, or mirror it and set [agent] image."
          : "The pod's events (kubectl describe pod) say more.",
      };
    }
    return {
      id: "agent-image",
      title,
      status: "fail",
      detail: `${image} did not finish \`${profile.agent.bun} --version\` within ${secs} s (${outcome.reason})`,
      hint: "A slow image pull? Pull the image on the nodes, or raise [agent] start_timeout.",
    };
  } catch (e) {
    return failed("agent-image", title, e);
  } finally {
    await client.delete(path, { ignoreNotFound: true, query: { gracePeriodSeconds: 0 } }).catch(() => {});
  }
}

type Outcome =
  | { kind: "done"; exitCode: number; reason?: string }
  | { kind: "stuck"; reason: string; message?: string }
  | { kind: "timeout"; reason: string };

/** Polls rather than watches: one request every 250 ms for a few seconds is cheap, and needs no watch verb. */
async function waitForPod(client: KubeClient, path: string, timeoutMs: number): Promise<Outcome> {
  const deadline = performance.now() + timeoutMs;
  let last = "not scheduled yet";
  while (performance.now() < deadline) {
    const pod = await client.get<{ status?: PodStatus }>(path);
    const s = pod.status ?? {};
    const state = s.containerStatuses?.[0]?.state;
    const terminated = state?.terminated;
    if (terminated && (s.phase === "Succeeded" || s.phase === "Failed"))
      return {
        kind: "done",
        exitCode: terminated.exitCode ?? -1,
        ...(terminated.reason ? { reason: terminated.reason } : {}),
      };
    const waiting = state?.waiting;
    if (waiting?.reason && HOPELESS.has(waiting.reason))
      return { kind: "stuck", reason: waiting.reason, ...(waiting.message ? { message: waiting.message } : {}) };
    const unscheduled = s.conditions?.find((c) => c.type === "PodScheduled" && c.status === "False");
    last =
      waiting?.reason ??
      (unscheduled ? `${unscheduled.reason ?? "unschedulable"}: ${unscheduled.message ?? ""}` : (s.phase ?? last));
    await Bun.sleep(250);
  }
  return { kind: "timeout", reason: `last seen: ${last}` };
}
