/**
 * The target container's volume mounts, named for the agent (KFWD_AGENT_MOUNTS): where each is mounted and
 * what kind of volume it is. The `files` capability asks the agent for them (call filesMounts), so the host
 * and the agent agree on one list whatever the placement.
 */
import type { TargetMount } from "../../../wire/calls";
import type { Container, EnvVar, Pod } from "../../kube/types";

export function targetMounts(pod: Pod, container: Container): TargetMount[] {
  const volumes = new Map((pod.spec.volumes ?? []).map((v) => [v.name, v]));
  return (container.volumeMounts ?? []).map((m) => {
    const volume = volumes.get(m.name);
    const type = volume ? (Object.keys(volume).find((k) => k !== "name") ?? "unknown") : "unknown";
    return {
      path: m.mountPath,
      volume: m.name,
      type,
      readOnly: m.readOnly === true,
      ...(m.subPath ? { subPath: m.subPath } : {}),
    };
  });
}

export function mountsEnv(pod: Pod, container: Container): EnvVar {
  return { name: "KFWD_AGENT_MOUNTS", value: JSON.stringify(targetMounts(pod, container)) };
}
