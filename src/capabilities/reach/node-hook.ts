/**
 * Node and Bun: a preload (./preload/kfwd-preload.cjs) that sends the process's net/tls connections and
 * dns.lookup calls for routed destinations through kfwd.
 *   Node: NODE_OPTIONS=--require=<file>     Bun 1.4.5: BUN_OPTIONS=--preload=<file> (Bun ignores
 *   NODE_OPTIONS; with a space instead of "=", `bun run <file>` misreads BUN_OPTIONS, so "=" it is).
 * The preload is one file in kfwd's private state directory (0700; the file 0600), the same for every
 * session and never removed: a shell that still holds NODE_OPTIONS after `kfwd down` must not make every
 * `node` fail on a missing file. What is per session — the endpoint's port and token — is a 0600 file named
 * by KFWD_REACH_CONFIG, removed when the session ends; without it the preload does nothing.
 * A value the pod or [env] set gives NODE_OPTIONS/BUN_OPTIONS is kept after kfwd's part; the host's own
 * value is added where the command starts (src/env/option-vars.ts).
 */
import { randomBytes } from "node:crypto";
import { readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { EnvDraft } from "../../env/pipeline";
import { optionWord, PRELOAD_FILE } from "../../env/option-vars";
import { stateDir } from "../../session/state";
import preloadSource from "./preload/kfwd-preload.cjs" with { type: "text" };
import { isAlive } from "../../session/pid";

export const CONFIG_VARIABLE = "KFWD_REACH_CONFIG";

export interface NodeHookFiles {
  readonly preload: string;
  readonly config: string;
  remove(): void;
}

/** The shared preload (rewritten only when this kfwd's differs) and this session's config. */
export function writeNodeHook(sessionId: string, endpointPort: number, token: string): NodeHookFiles {
  // Absolute: Node resolves a relative --require against node_modules, not the working directory.
  const dir = resolve(stateDir());
  const preload = join(dir, PRELOAD_FILE);
  let current: string | undefined;
  try {
    current = readFileSync(preload, "utf8");
  } catch {
    current = undefined;
  }
  if (current !== preloadSource) {
    // Renamed into place: a Node process starting meanwhile reads the old file or the new, never half of one.
    const next = `${preload}.${process.pid}.tmp`;
    writeFileSync(next, preloadSource, { mode: 0o600 });
    renameSync(next, preload);
  }
  sweepOrphans(dir);
  // Not "*.json": every .json in the state directory is taken for a session's state file. The pid in the name
  // lets a later session remove the file of one that was killed before it could.
  const config = join(dir, `${sessionId}.reach-${process.pid}-${randomBytes(4).toString("hex")}`);
  writeFileSync(config, JSON.stringify({ port: endpointPort, token }), { mode: 0o600 });
  return { preload, config, remove: () => rmSync(config, { force: true }) };
}

/** NODE_OPTIONS and BUN_OPTIONS with the preload first, then whatever the pod or profile had. */
export function addNodeHook(draft: EnvDraft, files: NodeHookFiles): void {
  for (const [name, flag] of [
    ["NODE_OPTIONS", "--require"],
    ["BUN_OPTIONS", "--preload"],
  ] as const) {
    const ours = optionWord(`${flag}=${files.preload}`);
    const theirs = draft.get(name);
    draft.add(name, theirs ? `${ours} ${theirs}` : ours);
  }
  draft.add(CONFIG_VARIABLE, files.config);
}

/** Config files of sessions whose process is gone (killed with -9): nothing else would ever remove them. */
function sweepOrphans(dir: string): void {
  for (const name of readdirSync(dir)) {
    const pid = Number(/\.reach-(\d+)-[0-9a-f]+$/.exec(name)?.[1]);
    if (!pid || isAlive(pid)) continue;
    rmSync(join(dir, name), { force: true });
  }
}
