/**
 * `kfwd clean` on the lab as the restricted user: removes the current user's leftover objects and never
 * another owner's. The objects are made by the admin, labelled as kfwd labels them (the current owner label
 * comes from the same function clean uses). They live in a namespace of their own with the shipped Role bound
 * to the restricted user: in the shared test namespace, `--older-than 0s` would also remove the agents of
 * other tests running as the same user on this host. Skips unless the lab is up (KFWD_LAB=1: fails instead).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { apiPath } from "../../src/kube/api-path";
import { KubeClient } from "../../src/kube/client";
import { LABEL, MANAGED_BY, ownerLabel } from "../../src/kube/labels";
import { shippedRules } from "../../src/doctor/role";
import { kfwd, writeProfile } from "../helpers/kfwd";
import { requireLabOrSkip } from "../helpers/lab";
import { idlePod, namespaceWithRole } from "../helpers/lab-objects";

const lab = requireLabOrSkip();

describe.skipIf(!lab)("kfwd clean on the lab", () => {
  const run = Date.now().toString(36);
  const ns = `kfwd-clean-${run}`;
  const mine = ownerLabel("kfwd-dev");
  const theirs = ownerLabel("someone-else");
  // name → [owner label, finishes right away?]
  const pods: Record<string, [string, boolean]> = {
    [`kfwd-clean-mine-done-${run}`]: [mine, true],
    [`kfwd-clean-mine-running-${run}`]: [mine, false],
    [`kfwd-clean-theirs-done-${run}`]: [theirs, true],
    [`kfwd-clean-theirs-running-${run}`]: [theirs, false],
  };
  const [mineDone, mineRunning, theirsDone, theirsRunning] = Object.keys(pods) as [string, string, string, string];
  let admin: KubeClient;
  const mineJob = `kfwd-clean-mine-job-${run}`;
  const podPath = (name?: string) => apiPath({ resource: "pods", namespace: ns, name });
  const jobPath = (name?: string) => apiPath({ group: "batch", resource: "jobs", namespace: ns, name });
  const exists = async (name: string) =>
    (await admin.list<{ metadata: { name: string; deletionTimestamp?: string } }>(podPath())).items.some(
      (p) => p.metadata.name === name && !p.metadata.deletionTimestamp,
    );
  const profile = () => writeProfile(`[cluster]\nkubeconfig = "${lab?.restricted}"\nnamespace = "${ns}"\n`);

  beforeAll(async () => {
    admin = await KubeClient.fromKubeconfig({ kubeconfig: lab!.admin });
    await namespaceWithRole(admin, ns, shippedRules());
    for (const [name, [owner, done]] of Object.entries(pods)) {
      const pod = idlePod(name) as {
        metadata: { labels: Record<string, string> };
        spec: { containers: { command: string[] }[] };
      };
      pod.metadata.labels = { [LABEL.managedBy]: MANAGED_BY, [LABEL.owner]: owner, [LABEL.session]: `gone-${run}` };
      if (done) pod.spec.containers[0]!.command = ["bun", "--version"];
      await admin.create(podPath(), pod);
    }
    // A finished agent Job of ours, its pod labelled like it (as kfwd's Jobs are).
    const jobPod = idlePod("x") as {
      metadata: { labels: Record<string, string> };
      spec: { restartPolicy: string; containers: { command: string[] }[] };
    };
    jobPod.metadata.labels = { [LABEL.managedBy]: MANAGED_BY, [LABEL.owner]: mine, [LABEL.session]: `gone-${run}` };
    jobPod.spec.containers[0]!.command = ["bun", "--version"];
    await admin.create(jobPath(), {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name: mineJob, labels: jobPod.metadata.labels },
      spec: { backoffLimit: 0, template: { metadata: { labels: jobPod.metadata.labels }, spec: jobPod.spec } },
    });
    // Wait until the "done" pods and the Job have finished, so clean sees them as leftovers.
    for (let i = 0; i < 240; i++) {
      const list = await admin.list<{ metadata: { name: string }; status?: { phase?: string } }>(podPath());
      const finished = list.items.filter((p) => p.status?.phase === "Succeeded").map((p) => p.metadata.name);
      const job = await admin.get<{ status?: { conditions?: { type: string; status: string }[] } }>(jobPath(mineJob));
      const jobDone = job.status?.conditions?.some((c) => c.type === "Complete" && c.status === "True");
      if (finished.includes(mineDone) && finished.includes(theirsDone) && jobDone) return;
      await Bun.sleep(250);
    }
    throw new Error("the test pods did not finish");
  }, 90_000);

  afterAll(async () => {
    for (const name of Object.keys(pods))
      await admin?.delete(podPath(name), { ignoreNotFound: true, query: { gracePeriodSeconds: 0 } });
    await admin?.delete(`/api/v1/namespaces/${ns}`, { ignoreNotFound: true });
  });

  test("--dry-run names the finished leftover and removes nothing", async () => {
    const r = await kfwd(["clean", "--profile", profile(), "--dry-run"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`would remove pod/${mineDone} in ${ns} (finished`);
    expect(r.stdout).toMatch(
      new RegExp(`kept pod/${mineRunning} in ${ns}: (running|starting) for \\d+s \\(younger than 60m\\)`),
    );
    expect(r.stdout).not.toContain(theirsDone);
    expect(r.stdout).toContain(`would remove job/${mineJob} in ${ns} (finished`);
    // The Job's pod is the Job's business: deleting it alone would only make the Job start another.
    expect(r.stdout).toMatch(new RegExp(`kept pod/${mineJob}-\\w+ in ${ns}: belongs to job ${mineJob}`));
    expect(await exists(mineDone)).toBe(true);
  }, 30_000);

  test("removes the current user's finished leftover, keeps its running one, never touches another owner's", async () => {
    const r = await kfwd(["clean", "--profile", profile()]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`removed pod/${mineDone} in ${ns}`);
    expect(r.stdout).toContain(`removed job/${mineJob} in ${ns}`);
    expect(await admin.delete(jobPath(mineJob), { ignoreNotFound: true })).toBeUndefined();
    expect(r.stdout).not.toContain(theirsDone);
    expect(r.stdout).not.toContain(theirsRunning);
    expect(await exists(mineDone)).toBe(false);
    expect(await exists(mineRunning)).toBe(true);
    expect(await exists(theirsDone)).toBe(true);
    expect(await exists(theirsRunning)).toBe(true);
  }, 30_000);

  test("--older-than 0s removes the running one too; the other owner's pods stay", async () => {
    const r = await kfwd(["clean", "--profile", profile(), "--older-than", "0s", "--json"]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { user: string; owner: string; removed: { name: string }[] };
    expect(out.user).toBe("kfwd-dev");
    expect(out.owner).toBe(mine);
    expect(out.removed.map((o) => o.name)).toContain(mineRunning);
    expect(out.removed.map((o) => o.name)).not.toContain(theirsRunning);
    expect(await exists(mineRunning)).toBe(false);
    expect(await exists(theirsDone)).toBe(true);
    expect(await exists(theirsRunning)).toBe(true);
  }, 30_000);
});
