/**
 * The agent's Kubernetes objects: a Job (placement "pod") or an ephemeral container (placement "ephemeral").
 * Both run the stock Bun image with the keeper as command; the agent itself arrives later through exec. Both
 * meet Pod Security "restricted": non-root, no privilege escalation, every capability dropped, seccomp
 * RuntimeDefault, read-only root filesystem.
 */
import { ANNOTATION, sessionLabels } from "../../kube/labels";
import { KEEPER } from "./keeper";
import type { Container, EnvVar, Pod } from "../../kube/types";

export const AGENT_CONTAINER = "kfwd-agent";

/** Any non-root UID works for a separate agent pod; this is the usual "nonroot" one. */
const AGENT_UID = 65532;

/** The official Bun image's own ENV: it describes the agent, not the target, so the agent leaves it out of `env`. */
const AGENT_IMAGE_ENV = ["BUN_RUNTIME_TRANSPILER_CACHE_PATH", "BUN_INSTALL_BIN"];

export interface AgentSpecOptions {
  sessionId: string;
  owner: { name: string; label: string };
  profilePath: string;
  image: string;
  bun: string;
  idleTimeoutMs: number;
  cpu: string;
  memory: string;
  /** How long the keeper waits for the first agent (kfwd execs it right after the container starts). */
  firstWaitMs: number;
  /** Receive window the agent grants each stream (KFWD_AGENT_WINDOW); the agent's default when unset. */
  streamWindow?: number;
}

export function agentLabels(o: AgentSpecOptions): Record<string, string> {
  return { ...sessionLabels(o.sessionId, o.owner.name), "app.kubernetes.io/name": "kfwd-agent" };
}

export function agentAnnotations(o: AgentSpecOptions): Record<string, string> {
  return {
    [ANNOTATION.owner]: o.owner.name,
    [ANNOTATION.profile]: o.profilePath,
    [ANNOTATION.startedAt]: new Date().toISOString(),
  };
}

function kfwdEnv(o: AgentSpecOptions, target: EnvVar[], extra: EnvVar[] = []): EnvVar[] {
  const named = new Set(target.map((v) => v.name));
  return [
    ...target,
    { name: "KFWD_AGENT_IDLE_TIMEOUT", value: String(o.idleTimeoutMs) },
    { name: "KFWD_AGENT_ENV_DROP", value: AGENT_IMAGE_ENV.filter((n) => !named.has(n)).join(",") },
    { name: "KFWD_KEEPER_FIRST_WAIT", value: String(o.firstWaitMs) },
    ...(o.streamWindow !== undefined ? [{ name: "KFWD_AGENT_WINDOW", value: String(o.streamWindow) }] : []),
    ...extra,
  ];
}

const restricted = (uid: number, gid?: number) => ({
  runAsNonRoot: true,
  runAsUser: uid,
  ...(gid !== undefined ? { runAsGroup: gid } : {}),
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ["ALL"] },
  seccompProfile: { type: "RuntimeDefault" },
});

/**
 * The Job of placement "pod". backoffLimit 0 and restartPolicy Never: a failed agent is recreated by kfwd,
 * not retried blindly. ttlSecondsAfterFinished 0: once the keeper exits, the TTL controller deletes the Job
 * and its pod — the cleanup that works after kill -9. activeDeadlineSeconds is the backstop should the keeper
 * never exit.
 */
export function agentJob(
  name: string,
  o: AgentSpecOptions,
  target?: { pod: Pod; env: Pick<Container, "env" | "envFrom"> },
): Record<string, unknown> {
  const labels = agentLabels(o);
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name, labels, annotations: agentAnnotations(o) },
    spec: {
      backoffLimit: 0,
      ttlSecondsAfterFinished: 0,
      activeDeadlineSeconds: 24 * 3600,
      template: { metadata: { labels, annotations: agentAnnotations(o) }, spec: agentPodSpec(o, target) },
    },
  };
}

/**
 * The agent pod's spec (placement "pod"). `command` replaces the keeper for `kfwd doctor`'s image check, which
 * runs `bun --version` in exactly the pod a session would start.
 */
export function agentPodSpec(
  o: AgentSpecOptions,
  target?: { pod: Pod; env: Pick<Container, "env" | "envFrom"> },
  command: string[] = [o.bun, "-e", KEEPER],
): Record<string, unknown> {
  return {
    restartPolicy: "Never",
    terminationGracePeriodSeconds: 1,
    automountServiceAccountToken: false,
    enableServiceLinks: target?.pod.spec.enableServiceLinks ?? true,
    ...(target?.pod.spec.imagePullSecrets ? { imagePullSecrets: target.pod.spec.imagePullSecrets } : {}),
    securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
    containers: [
      {
        name: AGENT_CONTAINER,
        image: o.image,
        imagePullPolicy: "IfNotPresent",
        command,
        env: kfwdEnv(o, target?.env.env ?? []),
        ...(target?.env.envFrom ? { envFrom: target.env.envFrom } : {}),
        securityContext: restricted(AGENT_UID),
        resources: { requests: { cpu: "10m", memory: o.memory }, limits: { cpu: o.cpu, memory: o.memory } },
      },
    ],
  };
}

/** The Job's pod template as a Pod, for a dry-run create that reports Pod Security problems at once. */
export function jobPodForDryRun(job: Record<string, unknown>, name: string): Record<string, unknown> {
  const template = (job.spec as { template: { metadata: object; spec: object } }).template;
  return { apiVersion: "v1", kind: "Pod", metadata: { ...template.metadata, name }, spec: template.spec };
}

/**
 * The ephemeral container: `targetContainerName` puts it in the target container's PID namespace, and the
 * target's UID (and GID when known) lets it read /proc/<pid>/environ. Ephemeral containers may not set
 * resources (a Kubernetes rule), so [agent] cpu/memory do not apply here.
 */
export function agentEphemeralContainer(
  name: string,
  o: AgentSpecOptions,
  pod: Pod,
  container: Container,
  env: Pick<Container, "env" | "envFrom">,
): Record<string, unknown> {
  const { uid, gid } = effectiveIds(pod, container);
  return {
    name,
    image: o.image,
    imagePullPolicy: "IfNotPresent",
    command: [o.bun, "-e", KEEPER],
    targetContainerName: container.name,
    env: kfwdEnv(o, env.env ?? [], [{ name: "KFWD_AGENT_ENV_FROM", value: "process" }]),
    ...(env.envFrom ? { envFrom: env.envFrom } : {}),
    securityContext: restricted(uid ?? AGENT_UID, gid),
  };
}

/** The target container's UID/GID as the pod spec states them (container over pod); the image's USER is unknown. */
export function effectiveIds(pod: Pod, container: Container): { uid: number | undefined; gid: number | undefined } {
  const c = container.securityContext;
  const p = pod.spec.securityContext;
  return { uid: c?.runAsUser ?? p?.runAsUser, gid: c?.runAsGroup ?? p?.runAsGroup };
}
