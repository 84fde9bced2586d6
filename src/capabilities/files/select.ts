/**
 * Which trees to copy: the target container's mounts that [files] mounts names (config-like volumes only),
 * plus [files] paths — and, when the agent cannot read the target's files at all, what is missing and why.
 */
import type { FilesView, TargetMount } from "../../../wire/calls";
import { globToRegExp } from "../../text/glob";

/** Volumes copied when `mounts` matches them: small, and what apps read their config and credentials from. */
export const CONFIG_VOLUMES: readonly string[] = ["configMap", "secret", "projected", "downwardAPI"];

export interface FilesSelection {
  roots: string[];
  /** Mounts `mounts` matched but that are left out: emptyDir/PVC data (listed in `paths` to copy it). */
  notCopied: TargetMount[];
  /** What the agent cannot read (placement "pod"), as a sentence naming the fix; undefined when all is readable. */
  unreadable?: string;
}

export function selectRoots(
  mounts: readonly TargetMount[],
  view: FilesView,
  settings: { mounts: readonly string[]; paths: readonly string[] },
): FilesSelection {
  const globs = settings.mounts.map(globToRegExp);
  const matched = mounts.filter((m) => globs.some((g) => g.test(m.path)));
  const copied = matched.filter((m) => CONFIG_VOLUMES.includes(m.type));
  const notCopied = matched.filter((m) => !CONFIG_VOLUMES.includes(m.type) && !settings.paths.includes(m.path));
  const wanted = dedupe([...copied.map((m) => m.path), ...settings.paths]);
  if (view === "separate") {
    const named = [
      ...copied.map((m) => `${m.path} (${m.type} volume "${m.volume}")`),
      ...settings.paths.map((p) => `${p} ([files] paths)`),
    ];
    return {
      roots: [],
      notCopied,
      ...(named.length > 0
        ? {
            unreadable: `Cannot copy the target's files: ${named.join(", ")}. With placement "pod" the agent runs in a pod of its own, and one pod cannot read another pod's volumes. Set [agent] placement = "ephemeral" (the agent then joins the target pod and reads its files).`,
          }
        : {}),
    };
  }
  return { roots: wanted, notCopied };
}

/** Sorted, without duplicates and without paths already inside another root. */
function dedupe(paths: readonly string[]): string[] {
  const normal = [...new Set(paths.map((p) => (p.length > 1 ? p.replace(/\/+$/, "") : p)))].sort();
  return normal.filter((p) => !normal.some((q) => q !== p && (q === "/" || p.startsWith(`${q}/`))));
}

/** The host copy of `value` if it is a path into one of `roots`, else undefined. */
export function rewritePath(value: string, roots: readonly string[], root: string): string | undefined {
  if (!value.startsWith("/") || value.includes("\0") || value.split("/").includes("..")) return undefined;
  const inside = roots.some((r) => value === r || value.startsWith(r === "/" ? "/" : `${r}/`));
  return inside ? `${root}${value}` : undefined;
}
