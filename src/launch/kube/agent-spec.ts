/**
 * The agent's Kubernetes objects: a Job (placement "pod") or an ephemeral container (placement "ephemeral").
 * Both run the stock Bun image with the keeper as command; the agent itself arrives later through exec. Both
 * meet Pod Security "restricted": non-root, no privilege escalation, every capability dropped, seccomp
 * RuntimeDefault, read-only root filesystem.
 */
import { ANNOTATION, sessionLabels } from "../../kube/labels";
import { KEEPER } from "./keeper";
import { mountsEnv } from "./mounts";
import type { Container, EnvVar, Pod } from "../../kube/types";
import type { AgentPodNeeds } from "./pod-needs";

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

/** The agent's Job (placement "pod"): one pod that runs the keeper; kfwd execs the agent into it. */
export function agentJob(
  name: string,
  o: AgentSpecOptions,
  target?: { pod: Pod; env: Pick<Container, "env" | "envFrom"> },
  needs?: AgentPodNeeds,
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
      // With a service account of its own, the Job waits (suspended) until its Role and binding exist.
      ...(needs?.serviceAccount ? { suspend: true } : {}),
      template: {
        metadata: { labels: { ...needs?.labels, ...labels }, annotations: agentAnnotations(o) },
        spec: agentPodSpec(o, target, [o.bun, "-e", KEEPER], needs),
      },
    },
  };
}

/**
 * The agent pod's spec (placement "pod"). `command` replaces the keeper for `kfwd doctor`'s image check, which
 * runs `bun --version` in exactly the pod a session would start; `needs` are what capabilities ask of the pod
 * (incoming traffic: labels, ports, a service account).
 */
export function agentPodSpec(
  o: AgentSpecOptions,
  target?: { pod: Pod; env: Pick<Container, "env" | "envFrom"> },
  command: string[] = [o.bun, "-e", KEEPER],
  needs?: AgentPodNeeds,
): Record<string, unknown> {
  const podIp: EnvVar[] = needs
    ? [{ name: "KFWD_POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } }]
    : [];
  return {
    restartPolicy: "Never",
    terminationGracePeriodSeconds: 1,
    automountServiceAccountToken: needs?.serviceAccount !== undefined,
    ...(needs?.serviceAccount ? { serviceAccountName: needs.serviceAccount } : {}),
    enableServiceLinks: target?.pod.spec.enableServiceLinks ?? true,
    ...(target?.pod.spec.imagePullSecrets ? { imagePullSecrets: target.pod.spec.imagePullSecrets } : {}),
    securityContext: {
      runAsNonRoot: true,
      seccompProfile: { type: "RuntimeDefault" },
      // A "safe" sysctl (allowed by Pod Security restricted): non-root may listen below 1024 in this pod only.
      ...(needs?.lowPorts ? { sysctls: [{ name: "net.ipv4.ip_unprivileged_port_start", value: "0" }] } : {}),
    },
    containers: [
      {
        name: AGENT_CONTAINER,
        image: o.image,
        imagePullPolicy: "IfNotPresent",
        command,
        // The limit as the cluster applied it (a LimitRange may have changed it): the agent sizes its buffers by it.
        env: kfwdEnv(o, target?.env.env ?? [], [
          ...podIp,
          { name: "KFWD_AGENT_MEMORY_LIMIT", valueFrom: { resourceFieldRef: { resource: "limits.memory" } } },
        ]),
        ...(target?.env.envFrom ? { envFrom: target.env.envFrom } : {}),
        ...(needs && needs.ports.length > 0 ? { ports: needs.ports.map((p) => ({ ...p, protocol: "TCP" })) } : {}),
        ...(needs?.readinessPort !== undefined
          ? { readinessProbe: { tcpSocket: { port: needs.readinessPort }, periodSeconds: 1, failureThreshold: 1 } }
          : {}),
        securityContext: restricted(AGENT_UID),
        resources: { requests: { cpu: "10m", memory: o.memory }, limits: { cpu: o.cpu, memory: o.memory } },
      },
    ],
  };
}

/** The Job's pod template as a Pod, for a dry-run create that reports Pod Security problems at once. */
export function jobPodForDryRun(job: Record<string, unknown>, name: string): Record<string, unknown> {
  const template = (job.spec as { template: { metadata: object; spec: Record<string, unknown> } }).template;
  // The session's service account is created after the Job (it is owned by it): not there for the dry run.
  const { serviceAccountName: _sa, ...spec } = template.spec;
  return { apiVersion: "v1", kind: "Pod", metadata: { ...template.metadata, name }, spec };
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
    env: kfwdEnv(o, env.env ?? [], [{ name: "KFWD_AGENT_ENV_FROM", value: "process" }, mountsEnv(pod, container)]),
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
