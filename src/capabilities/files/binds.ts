/**
 * Transparent mode (`kfwd run --transparent`) runs the command in its own user+mount namespaces; binding each
 * host copy over its container path lets apps with hard-coded paths (/etc/config/app.yaml) read the pod's
 * files unchanged. This is the list for `runInside({ binds })`: (host copy, container path) pairs, parents
 * before children, only trees the session actually copied.
 */
import { existsSync } from "node:fs";
import type { Capability } from "../capability";

export function filesBinds(capabilities: readonly Capability[]): Array<[source: string, target: string]> {
  return capabilities
    .flatMap((c) => c.binds?.() ?? [])
    .filter(([source]) => existsSync(source))
    .sort((a, b) => a[1].length - b[1].length);
}
