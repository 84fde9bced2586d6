import { expect, test } from "bun:test";
import { checkPodFor } from "../../src/doctor/run-check";
import { agentPodSpec } from "../../src/launch/kube/agent-spec";
import { ok } from "../helpers/profile";

test("the doctor's check pod is the agent's pod, running `bun --version` instead of the keeper", () => {
  const profile = ok('[agent]\nimage = "registry.example/bun:1"\ncpu = "250m"\nmemory = "96Mi"\n');
  const pod = checkPodFor("kfwd-doctor-1", profile, "dev") as {
    metadata: { labels: Record<string, string> };
    spec: { activeDeadlineSeconds: number; containers: { command: string[]; image: string }[] };
  };
  const { activeDeadlineSeconds, ...spec } = pod.spec;
  const agent = agentPodSpec({
    sessionId: "x",
    owner: { name: "dev", label: "" },
    profilePath: "",
    image: profile.agent.image,
    bun: profile.agent.bun,
    idleTimeoutMs: 0,
    cpu: profile.agent.cpu,
    memory: profile.agent.memory,
    firstWaitMs: 0,
  }) as { containers: { env: unknown }[] };
  // Everything but the command and the env (session values) is the agent's own spec.
  const strip = (s: object) =>
    JSON.parse(JSON.stringify(s, (k, v) => (k === "env" || k === "command" ? undefined : v)));
  expect(strip(spec)).toEqual(strip(agent));
  expect(pod.spec.containers[0]!.command).toEqual([profile.agent.bun, "--version"]);
  expect(pod.spec.containers[0]!.image).toBe("registry.example/bun:1");
  expect(activeDeadlineSeconds).toBeGreaterThan(profile.agent.start_timeout / 1000);
  expect(pod.metadata.labels["app.kubernetes.io/managed-by"]).toBe("kfwd");
});
