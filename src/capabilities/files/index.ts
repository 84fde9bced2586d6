/**
 * The pod's files on the host: the target container's volumes (and [files] paths) copied into a private
 * directory, KFWD_ROOT, laid out at the container's paths, kept current while the session lives (the agent
 * watches and streams changes), and removed at the end unless `keep`. Env values that point into the copied
 * trees are rewritten to the copy. With placement "pod" the target's volumes are out of reach: said once, clearly.
 */
import type { Duplex } from "node:stream";
import { FILES_STREAM_KIND } from "../../../wire/files";
import type { FilesView, TargetMount } from "../../../wire/calls";
import { KfwdError } from "../../errors";
import type { Profile } from "../../profile/index";
import type { Tunnel } from "../../session/tunnel";
import { globToRegExp } from "../../text/glob";
import type { Ui } from "../../ui/log";
import type { Capability, CapabilityContext, CapabilityReport } from "../capability";
import { HostCopy } from "./host-copy";
import { makeRoot } from "./root-dir";
import { type ReceiveCounters, receiveFiles } from "./receive";
import { type FilesSelection, rewritePath, selectRoots } from "./select";

export interface FilesSettings {
  mounts: readonly string[];
  paths: readonly string[];
  exclude: readonly string[];
  dir?: string | undefined;
  keep: boolean;
  /** How often the agent looks for changes (ms). */
  intervalMs?: number;
}

/** Off unless the profile names mounts or paths. */
export function filesSettings(profile: Profile): FilesSettings | undefined {
  const f = profile.files;
  if (f.mounts.length === 0 && f.paths.length === 0) return undefined;
  return { mounts: f.mounts, paths: f.paths, exclude: f.exclude, dir: f.dir, keep: f.keep };
}

export interface FilesCapability extends Capability {
  /** (host copy, container path) for each copied tree: what transparent mode binds over the original paths. */
  binds(): Array<[source: string, target: string]>;
}

const PROGRESS_FROM_BYTES = 8 * 1024 * 1024;

export function files(settings: FilesSettings): FilesCapability {
  let copy: HostCopy | undefined;
  let ownRoot = false;
  let selection: FilesSelection | undefined;
  let stream: Duplex | undefined;
  let stopped = false;
  let ui: Ui | undefined;
  let log: (m: string) => void = () => {};
  let syncs = 0;
  let firstCopy: { ms: number; bytes: number; files: number } | undefined;
  let skipped = new Map<string, string>();
  const counters: ReceiveCounters = { files: 0, dirs: 0, bytes: 0, deleted: 0, refused: 0, updates: 0 };
  const exclude = settings.exclude.map((g) => globToRegExp(g).source);

  /** Opens a files stream; resolves once the first full copy is in place. Later changes keep arriving. */
  const sync = async (tunnel: Tunnel): Promise<void> => {
    if (!copy || !selection || selection.roots.length === 0 || stopped) return;
    const target = copy;
    const s = await tunnel.dial({ host: "files", port: 0 }, FILES_STREAM_KIND);
    stream?.destroy();
    stream = s;
    const started = performance.now();
    let lastProgress = started;
    const request = {
      roots: selection.roots,
      exclude,
      watch: true,
      ...(settings.intervalMs ? { intervalMs: settings.intervalMs } : {}),
    };
    await new Promise<void>((resolve, reject) => {
      let first = true;
      receiveFiles(s, request, target, counters, {
        synced(seen) {
          syncs++;
          if (syncs > 1) {
            // A new agent's full copy: what the old copy had and this one lacks was removed meanwhile.
            for (const p of [...target.written]) if (!seen.has(p)) void target.remove(p).catch(() => {});
          }
          const secs = (performance.now() - started) / 1000;
          if (syncs === 1) firstCopy = { ms: Math.round(secs * 1000), bytes: counters.bytes, files: counters.files };
          log(`copy in place: ${counters.files} files, ${counters.bytes} bytes in ${secs.toFixed(2)} s`);
          ui?.step(
            `Files: ${counters.files} files (${formatBytes(counters.bytes)}) in ${copy?.root} (${secs.toFixed(1)} s)`,
          );
          reportSkipped();
          first = false;
          resolve();
        },
        skipped(path, reason) {
          skipped.set(path, reason);
          if (!first) log(`not copied: ${path}: ${reason}`);
        },
        refused(path, why) {
          ui?.warn(`Files: refused a path from the agent (${why}); nothing was written for it.`);
          log(`refused ${path}: ${why}`);
        },
        progress(c) {
          const now = performance.now();
          if (!first || c.bytes < PROGRESS_FROM_BYTES || now - lastProgress < 1000) return;
          lastProgress = now;
          ui?.step(`Files: copying… ${c.files} files, ${formatBytes(c.bytes)}`);
        },
      }).then(
        () => {
          if (first) reject(new KfwdError("KFWD_FILES_FAILED", "The files stream ended before the copy was complete"));
        },
        (error: unknown) => {
          if (first)
            reject(
              error instanceof KfwdError
                ? error
                : new KfwdError(
                    "KFWD_FILES_FAILED",
                    `Cannot copy the pod's files: ${(error as Error)?.message ?? error}`,
                    "Run with --verbose (or KFWD_DEBUG=files,agent) to see more.",
                  ),
            );
          else if (!stopped && stream === s) log(`files stream ended: ${(error as Error)?.message ?? error}`);
        },
      );
    });
  };

  const reportSkipped = (): void => {
    if (skipped.size === 0) return;
    const list = [...skipped].slice(0, 5).map(([p, r]) => `${p} (${r})`);
    const more = skipped.size > 5 ? `, and ${skipped.size - 5} more (KFWD_DEBUG=files lists them)` : "";
    ui?.warn(`Files not copied: ${list.join("; ")}${more}`);
    for (const [p, r] of skipped) log(`not copied: ${p}: ${r}`);
    skipped = new Map();
  };

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    stream?.destroy();
    stream = undefined;
    if (copy && !settings.keep) copy.removeAll(ownRoot);
  };

  const roots = (): string[] => selection?.roots ?? [];

  return {
    name: "files",
    async start(context: CapabilityContext) {
      ui = context.ui;
      log = context.log;
      const answer = checkMounts(await context.tunnel.call("filesMounts", {}));
      selection = selectRoots(answer.mounts, answer.view, settings);
      if (selection.unreadable) context.ui.warn(selection.unreadable);
      for (const m of selection.notCopied)
        log(`not copied: ${m.path} (${m.type} volume "${m.volume}"): list it in [files] paths to copy its data`);
      const made = makeRoot(settings.dir);
      ownRoot = made.own;
      copy = new HostCopy(made.path, selection.roots);
      try {
        await sync(context.tunnel);
      } catch (error) {
        await stop();
        throw error;
      }
    },
    async afterConnect(tunnel: Tunnel) {
      if (syncs === 0) return; // the first connect: start() makes the first copy
      await sync(tunnel).catch((error: unknown) => ui?.warn(`Files: cannot resume the copy: ${String(error)}`));
    },
    envStages: [
      {
        phase: "rewrite",
        apply(draft) {
          if (!copy) return;
          for (const [name, value] of draft.rewritable()) {
            const to = rewritePath(value, roots(), copy.root);
            if (to !== undefined) draft.rewrite(name, to, "files");
          }
        },
      },
      {
        phase: "proxy",
        apply(draft) {
          if (copy) draft.add("KFWD_ROOT", copy.root);
        },
      },
    ],
    describe(): CapabilityReport {
      const data = { root: copy?.root ?? "", paths: roots(), keep: settings.keep };
      return { lines: [`files     ${data.root} (${data.paths.join(", ") || "nothing readable"})`], data };
    },
    stats(): CapabilityReport {
      const data = { root: copy?.root ?? "", paths: roots(), ...counters, ...(firstCopy ? { firstCopy } : {}) };
      const last = counters.lastUpdateAt ? `, last update ${new Date(counters.lastUpdateAt).toISOString()}` : "";
      return {
        lines: [
          `files     ${data.root}: ${counters.files} files, ${formatBytes(counters.bytes)}, ${counters.updates} updates${last}`,
        ],
        data,
      };
    },
    binds: () => (copy ? roots().map((r): [string, string] => [`${copy?.root}${r}`, r]) : []),
    stop,
  };
}

/** The agent's answer, checked where it enters. */
function checkMounts(raw: unknown): { mounts: TargetMount[]; view: FilesView } {
  const r = raw as { mounts?: unknown; view?: unknown };
  const view: FilesView = r.view === "target" || r.view === "separate" ? r.view : "own";
  const mounts = Array.isArray(r.mounts)
    ? (r.mounts as Array<Partial<TargetMount>>).filter(
        (m): m is TargetMount =>
          typeof m?.path === "string" &&
          m.path.startsWith("/") &&
          typeof m.volume === "string" &&
          typeof m.type === "string",
      )
    : [];
  return { mounts, view };
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
