/** `kfwd ls` as a table for people; `--json` prints the TargetList itself. */
import { type TargetList, targetName } from "./list";

export function targetsText(list: TargetList): string {
  const head = `Context "${list.context}", namespace "${list.namespace}": ephemeral containers ${
    list.ephemeralAllowed ? "allowed" : "not allowed (agents run in their own pod)"
  }\n`;
  if (list.targets.length === 0) return `${head}No deployments, statefulsets, pods or services here.\n`;
  const rows = list.targets.map((t) => [targetName(t), `${t.ready}/${t.desired}`, t.placement, t.problem ?? ""]);
  const table = [["TARGET", "READY", "AGENT", ""], ...rows];
  const widths = [0, 1, 2].map((i) => Math.max(...table.map((r) => (r[i] ?? "").length)));
  const lines = table.map((r) =>
    r
      .map((cell, i) => (i < 3 ? cell.padEnd(widths[i] ?? 0) : cell))
      .join("  ")
      .trimEnd(),
  );
  return `${head}${lines.join("\n")}\n`;
}
