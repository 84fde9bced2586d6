/**
 * kfwd on the lab cluster, as the restricted user (deploy/kfwd-role.yaml only), through the compiled binary:
 * every placement reaches a Service by its cluster DNS name, the env is the target's (Secret values; image ENV
 * with ephemeral placement), kill -9 leaves nothing behind, a killed tunnel comes back, a typo lists names.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { apiPath } from "../../../src/kube/api-path";
import { KFWD, kfwd } from "../../helpers/kfwd";
import { labProfile, requireLabOrSkip } from "../../helpers/lab";
import { createTestApp, SECRET_VALUE, type TestApp } from "../../helpers/testapp";
import { killAgents, profileObjects, sessionObjects, sessionOf } from "./helpers/agent-objects";

const lab = requireLabOrSkip();
const name = `kt-${Date.now().toString(36)}`;

describe.skipIf(!lab || !existsSync(KFWD))("kfwd run against the lab cluster", () => {
  let app: TestApp;
  const url = () => `http://${name}.${lab!.namespace}.svc.cluster.local:8080`;

  beforeAll(async () => {
    app = await createTestApp(lab!, name);
  }, 150_000);

  afterAll(async () => {
    await app?.remove();
  });

  test("without kfwd the cluster name does not resolve on the host", async () => {
    const r = Bun.spawnSync(["curl", "-sS", "--max-time", "5", `${url()}/hello`], {
      env: { PATH: process.env.PATH ?? "" },
    });
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr.toString()).toContain("resolve");
  });

  for (const [placement, target] of [
    ["ephemeral", `workload = "deployment/${name}"`],
    ["pod", `service = "${name}"`],
    ["targetless", ""],
  ] as const) {
    test(`curl through kfwd reaches the Service (placement ${placement})`, async () => {
      const profile = labProfile(lab!, target, placement === "targetless" ? "" : `placement = "${placement}"`);
      const started = performance.now();
      const r = await kfwd(["run", "--verbose", profile, "--", "curl", "-sS", "--max-time", "10", `${url()}/hello`], {
        timeoutMs: 90_000,
      });
      console.log(
        `placement ${placement}: kfwd run → curl done in ${((performance.now() - started) / 1000).toFixed(2)} s`,
      );
      expect(r.stderr).toContain(placement === "targetless" ? "targetless" : `Agent placement: ${placement}`);
      expect(r.stdout).toStartWith(`hello from ${name}-`);
      expect(r.code).toBe(0);
    }, 100_000);
  }

  test("ephemeral: the child gets the target container's runtime env (Secret value, image ENV, downward API)", async () => {
    const profile = labProfile(lab!, `workload = "deployment/${name}"`, `placement = "ephemeral"`);
    const r = await kfwd(
      ["run", profile, "--", "sh", "-c", 'printf "%s|%s|%s" "$DB_PASSWORD" "$KFWD_IMAGE_ENV" "$MY_POD_NAME"'],
      { timeoutMs: 90_000 },
    );
    expect(r.code).toBe(0);
    const [secret, image, podName] = r.stdout.split("|");
    expect(secret).toBe(SECRET_VALUE);
    expect(image).toBe("from-image");
    expect(podName).toStartWith(`${name}-`);
  }, 100_000);

  test("pod placement: env from the pod spec (Secret resolved by the kubelet, downward API of the target), image ENV missing with a warning", async () => {
    const profile = labProfile(lab!, `workload = "deployment/${name}"`, `placement = "pod"`);
    const r = await kfwd(
      ["run", profile, "--", "sh", "-c", 'printf "%s|%s|%s" "$DB_PASSWORD" "$KFWD_IMAGE_ENV" "$MY_POD_NAME"'],
      { timeoutMs: 90_000 },
    );
    expect(r.code).toBe(0);
    const [secret, image, podName] = r.stdout.split("|");
    expect(secret).toBe(SECRET_VALUE);
    expect(image).toBe("");
    expect(podName).toStartWith(`${name}-`);
    expect(r.stderr).toContain("image (ENV) are not visible");
  }, 100_000);

  test("kill -9 of kfwd with an ephemeral agent: the agent container ends within 30 s", async () => {
    // Ephemeral containers carry no labels and cannot be removed (a Kubernetes limit): what must not remain
    // is a running agent. Find ours by name in the target pods' ephemeral container statuses.
    const profile = labProfile(lab!, `workload = "deployment/${name}"`, `placement = "ephemeral"`);
    const before = new Set((await ephemeralStates(app)).map((e) => e.name));
    const run = kfwd(["run", "--verbose", profile, "--", "sleep", "20"], { timeoutMs: 90_000 });
    let ours: { pod: string; name: string; running: boolean } | undefined;
    for (let i = 0; i < 160 && !ours?.running; i++) {
      ours = (await ephemeralStates(app)).find((e) => !before.has(e.name));
      if (!ours?.running) await Bun.sleep(250);
    }
    expect(ours?.running).toBe(true);
    run.child.kill("SIGKILL");
    const killedAt = performance.now();
    while (ours?.running && performance.now() - killedAt < 30_000) {
      await Bun.sleep(500);
      ours = (await ephemeralStates(app)).find((e) => e.name === ours?.name);
    }
    console.log(
      `kill -9 (ephemeral): agent container ended after ${((performance.now() - killedAt) / 1000).toFixed(1)} s`,
    );
    expect(ours?.running).toBe(false);
    await run;
  }, 80_000);

  test("kill -9 of kfwd: nothing labelled with its session remains within 30 s", async () => {
    const profile = labProfile(lab!, `service = "${name}"`, `placement = "pod"`);
    const run = kfwd(["run", "--verbose", profile, "--", "sleep", "12"], { timeoutMs: 90_000 });
    let found: Awaited<ReturnType<typeof sessionOf>>;
    for (let i = 0; i < 120 && !(found = await sessionOf(app, profile)); i++) await Bun.sleep(250);
    expect(found).toBeDefined();
    expect(await sessionObjects(app, found!.session)).not.toEqual([]);
    await Bun.sleep(1000);
    run.child.kill("SIGKILL");
    const killedAt = performance.now();
    let left = await sessionObjects(app, found!.session);
    while (left.length > 0 && performance.now() - killedAt < 30_000) {
      await Bun.sleep(500);
      left = await sessionObjects(app, found!.session);
    }
    console.log(
      `kill -9: session objects gone after ${((performance.now() - killedAt) / 1000).toFixed(1)} s (left: ${left.join(", ") || "none"})`,
    );
    expect(left).toEqual([]);
    await run;
  }, 60_000);

  test("agent killed mid-transfer: the transfer is reset, a new connection works within 5 s", async () => {
    const profile = labProfile(lab!, `service = "${name}"`, `placement = "pod"`);
    const marker = join(tmpdir(), `kfwd-killed-${process.pid}`);
    const script = [
      `(curl -sS -o /dev/null --max-time 60 ${url()}/bytes/2000000000; echo "big exit $?") &`,
      `while [ ! -f ${marker} ]; do sleep 0.05; done; s=$(date +%s%N)`,
      `until curl -sS -o /dev/null --max-time 3 ${url()}/hello 2>/dev/null; do sleep 0.1; done`,
      `echo "back after $(( ($(date +%s%N) - s) / 1000000 )) ms"; wait`,
    ].join("\n");
    const run = kfwd(["run", "--verbose", profile, "--", "bash", "-c", script], { timeoutMs: 90_000 });
    let found: Awaited<ReturnType<typeof sessionOf>>;
    for (let i = 0; i < 120 && !(found = await sessionOf(app, profile)); i++) await Bun.sleep(250);
    expect(found).toBeDefined();
    await Bun.sleep(2000); // the download is under way
    await killAgents(app, found!.pod);
    writeFileSync(marker, "");
    const r = await run;
    console.log(r.stdout.trim());
    expect(r.stdout).toMatch(/big exit [1-9]/); // reset, not hung and not a truncated success
    const ms = Number(/back after (\d+) ms/.exec(r.stdout)?.[1]);
    expect(ms).toBeLessThan(5000);
    expect(r.stderr).toContain("Tunnel is back");
    expect(r.code).toBe(0);
  }, 100_000);

  test("fail fast: an image the node cannot pull is named, and nothing is left behind", async () => {
    const profile = labProfile(lab!, "", `image = "registry.invalid/kfwd/no-such-bun:1"\nstart_timeout = "60s"`);
    const started = performance.now();
    const r = await kfwd(["run", profile, "--", "true"], { timeoutMs: 90_000 });
    console.log(`unpullable image reported after ${((performance.now() - started) / 1000).toFixed(1)} s`);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('cannot pull image "registry.invalid/kfwd/no-such-bun:1"');
    expect(r.stderr).toContain("[agent] image");
    expect(performance.now() - started).toBeLessThan(50_000);
    expect(await profileObjects(app, profile)).toEqual([]);
  }, 100_000);

  test("fail fast: an agent no node can hold gives the scheduler's reason", async () => {
    const r = await kfwd(["run", labProfile(lab!, "", `memory = "1Ti"`), "--", "true"], { timeoutMs: 60_000 });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("Cannot schedule the agent pod");
    expect(r.stderr).toContain("Insufficient memory");
  }, 60_000);

  test("a target typo lists the candidates", async () => {
    const typo = name.slice(0, -1);
    const r = await kfwd(["run", labProfile(lab!, `workload = "deployment/${typo}"`), "--", "true"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`Cannot find deployment "${typo}" in namespace "${lab!.namespace}". Deployments there:`);
    expect(r.stderr).toContain(name);
    expect(r.stderr).toContain(`Did you mean "${name}"?`);
  });
});

/** Every ephemeral container in the app's pods: pod, container name, and whether it still runs. */
async function ephemeralStates(app: TestApp): Promise<{ pod: string; name: string; running: boolean }[]> {
  type Pod = {
    metadata: { name: string };
    status?: { ephemeralContainerStatuses?: { name: string; state?: { running?: object } }[] };
  };
  const pods = await app.admin.list<Pod>(apiPath({ resource: "pods", namespace: app.namespace }), {
    labelSelector: `app=${app.name}`,
  });
  return pods.items.flatMap((p) =>
    (p.status?.ephemeralContainerStatuses ?? []).map((c) => ({
      pod: p.metadata.name,
      name: c.name,
      running: c.state?.running !== undefined,
    })),
  );
}
