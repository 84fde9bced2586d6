/**
 * The target container's volume mounts. kfwd puts them, from the target's pod spec, in the agent container's
 * KFWD_AGENT_MOUNTS (JSON): the spec says what each volume is (a Secret, a PVC...), which the target's
 * /proc/<pid>/mountinfo does not. A local agent has none.
 */
import type { TargetMount } from "../../wire/calls";

export function targetMounts(raw = process.env.KFWD_AGENT_MOUNTS): TargetMount[] {
  if (!raw) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  const mounts: TargetMount[] = [];
  for (const m of parsed as Array<Record<string, unknown>>) {
    if (typeof m?.path !== "string" || typeof m.volume !== "string" || typeof m.type !== "string") continue;
    mounts.push({
      path: m.path,
      volume: m.volume,
      type: m.type,
      readOnly: m.readOnly === true,
      ...(typeof m.subPath === "string" ? { subPath: m.subPath } : {}),
    });
  }
  return mounts;
}
