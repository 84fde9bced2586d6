/** The cluster target's pure parts: agent specs meet Pod Security "restricted", env for an agent pod, selectors. */
import { describe, expect, test } from "bun:test";
import { LOADER } from "../../../src/launch/bootstrap";
import { agentEphemeralContainer, agentJob, type AgentSpecOptions } from "../../../src/launch/kube/agent-spec";
import { envForAgentPod, envForEphemeral, parseQuantity } from "../../../src/launch/kube/env";
import { AGENT_MARKER, KEEPER } from "../../../src/launch/kube/keeper";
import { selectorString } from "../../../src/launch/kube/resolve";
import type { Pod } from "../../../src/kube/types";

const opts: AgentSpecOptions = {
  sessionId: "abc123",
  owner: { name: "dev", label: "x" },
  profilePath: "/p.toml",
  image: "img:1",
  bun: "bun",
  idleTimeoutMs: 8000,
  cpu: "500m",
  memory: "128Mi",
  firstWaitMs: 60_000,
};

const pod: Pod = {
  metadata: { name: "app-1", namespace: "ns", uid: "u-1", labels: { app: "a", tier: "web" } },
  spec: {
    securityContext: { runAsUser: 1001 },
    nodeName: "node-1",
    containers: [
      {
        name: "app",
        resources: { limits: { cpu: "1500m", memory: "256Mi" } },
        env: [
          { name: "PLAIN", value: "v" },
          { name: "POD", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
          { name: "TIER", valueFrom: { fieldRef: { fieldPath: "metadata.labels['tier']" } } },
          { name: "IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
          { name: "CPU", valueFrom: { resourceFieldRef: { resource: "limits.cpu" } } },
          { name: "MEM_MI", valueFrom: { resourceFieldRef: { resource: "limits.memory", divisor: "1Mi" } } },
          { name: "PW", valueFrom: { secretKeyRef: { name: "s", key: "k" } } },
        ],
      },
    ],
  },
  status: { podIP: "10.0.0.7" },
};

describe("agent specs", () => {
  test("the Job: TTL 0, no retries, restricted security context, limits, labels", () => {
    const job = agentJob("kfwd-agent-abc123", opts) as {
      metadata: { labels: Record<string, string> };
      spec: {
        ttlSecondsAfterFinished: number;
        backoffLimit: number;
        template: {
          spec: {
            containers: {
              securityContext: Record<string, unknown>;
              resources: { limits: Record<string, string> };
              env: { name: string; valueFrom?: unknown }[];
            }[];
          };
        };
      };
    };
    expect(job.spec.ttlSecondsAfterFinished).toBe(0);
    expect(job.spec.backoffLimit).toBe(0);
    expect(job.metadata.labels).toMatchObject({ "app.kubernetes.io/managed-by": "kfwd", "kfwd.dev/session": "abc123" });
    const c = job.spec.template.spec.containers[0]!;
    expect(c.securityContext).toMatchObject({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(c.resources.limits).toEqual({ cpu: "500m", memory: "128Mi" });
    // The agent sizes its receive budget by the limit the cluster applied, read through the downward API.
    expect(c.env.find((v) => v.name === "KFWD_AGENT_MEMORY_LIMIT")).toEqual({
      name: "KFWD_AGENT_MEMORY_LIMIT",
      valueFrom: { resourceFieldRef: { resource: "limits.memory" } },
    });
  });

  test("the ephemeral container runs as the target's UID in its PID namespace and reads its process env", () => {
    const c = agentEphemeralContainer(
      "kfwd-agent-abc123",
      opts,
      pod,
      pod.spec.containers[0]!,
      envForEphemeral(pod.spec.containers[0]!),
    ) as {
      targetContainerName: string;
      securityContext: { runAsUser: number };
      env: { name: string; value?: string }[];
      resources?: unknown;
    };
    expect(c.targetContainerName).toBe("app");
    expect(c.securityContext.runAsUser).toBe(1001);
    expect(c.resources).toBeUndefined();
    expect(c.env).toContainEqual({ name: "KFWD_AGENT_ENV_FROM", value: "process" });
  });

  test("the keeper finds agents by the loader's marker, without containing it itself", () => {
    expect(LOADER).toContain(AGENT_MARKER);
    expect(KEEPER).not.toContain(AGENT_MARKER);
  });
});

describe("env for a separate agent pod", () => {
  test("downward API values become the target pod's literals; Secret references stay references", () => {
    const warnings: string[] = [];
    const { env } = envForAgentPod(pod, pod.spec.containers[0]!, (m) => warnings.push(m));
    const byName = Object.fromEntries((env ?? []).map((v) => [v.name, v]));
    expect(byName.PLAIN).toEqual({ name: "PLAIN", value: "v" });
    expect(byName.POD?.value).toBe("app-1");
    expect(byName.TIER?.value).toBe("web");
    expect(byName.IP?.value).toBe("10.0.0.7");
    expect(byName.CPU?.value).toBe("2");
    expect(byName.MEM_MI?.value).toBe("256");
    expect(byName.PW?.valueFrom?.secretKeyRef).toEqual({ name: "s", key: "k" });
    expect(warnings).toEqual([]);
  });

  test("the agent grants the window kfwd asks for (KFWD_AGENT_WINDOW), in both placements", () => {
    const withWindow = { ...opts, streamWindow: 4 << 20 };
    const env = (c: unknown) =>
      (c as { env?: { name: string; value?: string }[] }).env?.find((v) => v.name === "KFWD_AGENT_WINDOW")?.value;
    const container = pod.spec.containers[0]!;
    const ephemeral = (o: AgentSpecOptions) =>
      agentEphemeralContainer("kfwd-agent-abc123", o, pod, container, envForEphemeral(container));
    const jobContainer = (o: AgentSpecOptions) =>
      (agentJob("kfwd-agent-abc123", o) as { spec: { template: { spec: { containers: unknown[] } } } }).spec.template
        .spec.containers[0];
    expect(env(ephemeral(withWindow))).toBe(String(4 << 20));
    expect(env(jobContainer(withWindow))).toBe(String(4 << 20));
    expect(env(ephemeral(opts))).toBeUndefined();
  });

  test("quantities", () => {
    expect(parseQuantity("500m")).toBe(0.5);
    expect(parseQuantity("1Gi")).toBe(2 ** 30);
    expect(parseQuantity("2k")).toBe(2000);
  });

  test("label selectors", () => {
    expect(
      selectorString({
        matchLabels: { app: "a" },
        matchExpressions: [
          { key: "tier", operator: "In", values: ["web", "api"] },
          { key: "canary", operator: "DoesNotExist" },
        ],
      }),
    ).toBe("app=a,tier in (web,api),!canary");
  });
});
