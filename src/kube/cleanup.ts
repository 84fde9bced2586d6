/**
 * Finding and removing the current user's leftover kfwd objects (agent pods and Jobs of sessions that are
 * gone). `kfwd clean` calls this, and `kfwd run` may call `sweepLeftovers` at start.
 *
 * Whether a session is gone: a session whose id a live local session reports is alive. Beyond that the
 * cluster can tell us part of it — an agent exits on its own after its idle timeout once kfwd is gone, so
 * a finished pod or Job is always a leftover, and one still Pending long after any start timeout is stuck.
 * A *running* agent without a local state file may belong to a `kfwd run` in another terminal (those keep
 * no state file), so it is only removed once older than `olderThanMs`.
 */
import type { KubeClient } from "./client";
import { currentOwnerLabel } from "./labels";
import { deleteManaged, listManaged, type ListScope, type ManagedObject } from "./cleanup-list";

export { currentUser, type ClusterUser } from "./current-user";
export { currentOwnerLabel } from "./labels";
export type { ManagedObject } from "./cleanup-list";

/** A Pending agent older than this has long outlived any start timeout: it is stuck (bad image, unschedulable). */
export const STUCK_PENDING_MS = 5 * 60_000;

export interface LeftoverRules {
  /** Session ids that are alive on this host. */
  liveSessions: ReadonlySet<string>;
  /** Running objects older than this are removed too; undefined: never (only finished or stuck ones). */
  olderThanMs?: number | undefined;
  now?: Date;
}

export interface Verdict {
  object: ManagedObject;
  remove: boolean;
  /** Why, in words for the user: "finished", "session alive", "running for 3m (younger than 10m)". */
  reason: string;
}

export function formatAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  return `${Math.round(s / 3600)}h`;
}

/** Decides for each object; pure, so the rules are tested without a cluster. */
export function judge(objects: readonly ManagedObject[], rules: LeftoverRules): Verdict[] {
  const now = (rules.now ?? new Date()).getTime();
  const jobs = new Set(objects.filter((o) => o.kind === "Job").map((o) => `${o.namespace}/${o.name}`));
  return objects.map((object): Verdict => {
    const age = now - object.createdAt.getTime();
    const verdict = (remove: boolean, reason: string): Verdict => ({ object, remove, reason });
    if (rules.liveSessions.has(object.session)) return verdict(false, "its session is running");
    if (object.deleting) return verdict(false, "already being deleted");
    // The Job is judged instead: deleting a Job's pod only makes the Job start another one.
    if (object.jobOwner !== undefined && jobs.has(`${object.namespace}/${object.jobOwner}`))
      return verdict(false, `belongs to job ${object.jobOwner}`);
    if (object.finished) return verdict(true, "finished");
    if (object.pending && age >= STUCK_PENDING_MS) return verdict(true, `pending for ${formatAge(age)}`);
    if (rules.olderThanMs !== undefined && age >= rules.olderThanMs)
      return verdict(true, `no live session, ${formatAge(age)} old`);
    const limit = rules.olderThanMs === undefined ? "" : ` (younger than ${formatAge(rules.olderThanMs)})`;
    return verdict(
      false,
      `${object.pending ? "starting" : "running"} for ${formatAge(age)}${limit}, maybe a kfwd run elsewhere`,
    );
  });
}

export interface SweepOptions extends LeftoverRules, ListScope {
  /** Only report; delete nothing. */
  dryRun?: boolean;
  /** The owner label to match; default: the current user's (currentOwnerLabel). */
  owner?: string;
}

export interface SweepResult {
  owner: string;
  removed: Verdict[];
  kept: Verdict[];
  /** Removals that failed, with the error message. */
  failed: { verdict: Verdict; error: string }[];
  /** Kinds that could not be listed (e.g. Jobs without RBAC for them). */
  skipped: { kind: string; namespace: string; reason: string }[];
}

/**
 * Removes the current user's leftovers in the given namespaces (or all) and says what it removed and kept.
 * Never touches an object whose owner label is not the current user's.
 */
export async function sweepLeftovers(client: KubeClient, opts: SweepOptions): Promise<SweepResult> {
  const owner = opts.owner ?? (await currentOwnerLabel(client));
  const listing = await listManaged(client, owner, opts);
  const verdicts = judge(listing.objects, opts);
  const result: SweepResult = {
    owner,
    removed: [],
    kept: verdicts.filter((v) => !v.remove),
    failed: [],
    skipped: listing.skipped,
  };
  await Promise.all(
    verdicts
      .filter((v) => v.remove)
      .map(async (v) => {
        try {
          if (!opts.dryRun) await deleteManaged(client, v.object);
          result.removed.push(v);
        } catch (e) {
          result.failed.push({ verdict: v, error: e instanceof Error ? e.message : String(e) });
        }
      }),
  );
  const order = (v: Verdict) => `${v.object.namespace}/${v.object.kind}/${v.object.name}`;
  result.removed.sort((a, b) => order(a).localeCompare(order(b)));
  return result;
}
