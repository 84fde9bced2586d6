/** Which of the current user's kfwd objects `kfwd clean` removes: the rules, without a cluster. */
import { describe, expect, test } from "bun:test";
import { judge, STUCK_PENDING_MS, type ManagedObject } from "../../src/kube/cleanup";

const now = new Date("2026-01-01T12:00:00Z");
const ago = (ms: number) => new Date(now.getTime() - ms);
const obj = (o: Partial<ManagedObject> & { name: string }): ManagedObject => ({
  kind: "Pod",
  namespace: "ns",
  session: `s-${o.name}`,
  createdAt: ago(60_000),
  finished: false,
  pending: false,
  deleting: false,
  ...o,
});
const verdicts = (objects: ManagedObject[], olderThanMs?: number, live: string[] = []) =>
  Object.fromEntries(judge(objects, { liveSessions: new Set(live), olderThanMs, now }).map((v) => [v.object.name, v]));

describe("judge", () => {
  test("finished agents are leftovers; running young ones are kept", () => {
    const v = verdicts([obj({ name: "done", finished: true }), obj({ name: "running" })], 3_600_000);
    expect(v.done?.remove).toBe(true);
    expect(v.done?.reason).toBe("finished");
    expect(v.running?.remove).toBe(false);
    expect(v.running?.reason).toContain("younger than 60m");
  });

  test("a live local session keeps its objects, even finished ones", () => {
    const v = verdicts([obj({ name: "a", finished: true, session: "live" })], 0, ["live"]);
    expect(v.a?.remove).toBe(false);
  });

  test("running objects go once older than --older-than; never without it", () => {
    const old = obj({ name: "old", createdAt: ago(2 * 3_600_000) });
    expect(verdicts([old], 3_600_000).old?.remove).toBe(true);
    expect(verdicts([old], undefined).old?.remove).toBe(false);
  });

  test("pending for longer than any start timeout is stuck", () => {
    const v = verdicts([
      obj({ name: "stuck", pending: true, createdAt: ago(STUCK_PENDING_MS + 1) }),
      obj({ name: "starting", pending: true }),
    ]);
    expect(v.stuck?.remove).toBe(true);
    expect(v.starting?.remove).toBe(false);
  });

  test("a Job's pod is left to the Job; objects being deleted are left alone", () => {
    const v = verdicts([
      obj({ name: "job", kind: "Job", finished: true }),
      obj({ name: "pod", finished: true, jobOwner: "job" }),
      obj({ name: "gone", finished: true, deleting: true }),
    ]);
    expect(v.job?.remove).toBe(true);
    expect(v.pod?.remove).toBe(false);
    expect(v.gone?.remove).toBe(false);
  });
});
