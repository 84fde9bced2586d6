/**
 * `kfwd ls` and `kfwd init` on the lab as the restricted user, in a namespace of their own holding the shipped
 * Role and a 1-replica testapp Deployment behind a Service: ls lists it with readiness and placement, init
 * writes a profile from flags (names of the env only, never a value) that `kfwd run` then uses to reach the
 * Service; a Role without pods/ephemeralcontainers makes ls say agents run in their own pod.
 * Skips unless the lab is up (KFWD_LAB=1: fails instead).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { shippedRules } from "../../src/doctor/role";
import { apiPath } from "../../src/kube/api-path";
import { KubeClient } from "../../src/kube/client";
import type { TargetList } from "../../src/targets/list";
import { KFWD, kfwd } from "../helpers/kfwd";
import { requireLabOrSkip } from "../helpers/lab";
import { namespaceWithRole } from "../helpers/lab-objects";
import { testapp } from "../helpers/testapp";

const lab = requireLabOrSkip();
const suffix = Date.now().toString(36);
const ns = `kfwd-init-${suffix}`;
const nsNoEphemeral = `kfwd-init-noeph-${suffix}`;
const SECRET_VALUE = "s3cret-value-never-printed";

/** A Secret and a 1-replica testapp "shop" whose env names the Secret's values and two plain variables. */
function shopObjects(): object[] {
  const { service, workload } = testapp({
    name: "shop",
    replicas: 1,
    labels: {},
    ports: { http: 8080 },
    env: [
      { name: "SHOP_TOKEN", valueFrom: { secretKeyRef: { name: "shop", key: "token" } } },
      { name: "LOG_LEVEL", value: "info" },
      { name: "HOME", value: "/excluded-by-default" },
    ],
    envFrom: [{ secretRef: { name: "shop" }, prefix: "SHOP_" }],
  });
  return [
    { apiVersion: "v1", kind: "Secret", metadata: { name: "shop" }, stringData: { token: SECRET_VALUE } },
    workload,
    service,
  ];
}

const PATHS: Record<string, (namespace: string) => string> = {
  Secret: (namespace) => apiPath({ resource: "secrets", namespace }),
  Deployment: (namespace) => apiPath({ group: "apps", version: "v1", resource: "deployments", namespace }),
  Service: (namespace) => apiPath({ resource: "services", namespace }),
};

const ls = async (namespace: string): Promise<TargetList> => {
  const r = await kfwd(["ls", "--kubeconfig", lab!.restricted, "-n", namespace, "--json"]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as TargetList;
};

describe.skipIf(!lab)("kfwd ls and kfwd init on the lab", () => {
  let admin: KubeClient;
  beforeAll(async () => {
    admin = await KubeClient.fromKubeconfig({ kubeconfig: lab!.admin });
    await namespaceWithRole(admin, ns, shippedRules());
    await namespaceWithRole(
      admin,
      nsNoEphemeral,
      shippedRules().filter((r) => !r.resources.includes("pods/ephemeralcontainers")),
    );
    for (const namespace of [ns, nsNoEphemeral])
      for (const o of shopObjects()) await admin.create(PATHS[(o as { kind: string }).kind]!(namespace), o);
    // Until the Deployment's pod is ready, as the restricted user sees it.
    for (let i = 0; i < 240; i++) {
      const lists = await Promise.all([ls(ns), ls(nsNoEphemeral)]);
      if (lists.every((l) => l.targets.find((t) => t.kind === "deployment")?.ready === 1)) return;
      await Bun.sleep(500);
    }
    throw new Error("the shop Deployment did not become ready");
  }, 150_000);
  afterAll(async () => {
    for (const n of [ns, nsNoEphemeral]) await admin?.delete(`/api/v1/namespaces/${n}`, { ignoreNotFound: true });
  });

  test("ls --json: the Deployment, its pod and the Service, ready, with ephemeral placement", async () => {
    const list = await ls(ns);
    expect(list.namespace).toBe(ns);
    expect(list.ephemeralAllowed).toBe(true);
    const byName = Object.fromEntries(list.targets.map((t) => [`${t.kind}/${t.kind === "pod" ? "pod" : t.name}`, t]));
    expect(byName["deployment/shop"]).toMatchObject({
      ready: 1,
      desired: 1,
      placement: "ephemeral",
      profile: { workload: "deployment/shop" },
    });
    expect(byName["service/shop"]).toMatchObject({
      ready: 1,
      desired: 1,
      placement: "ephemeral",
      profile: { service: "shop" },
    });
    expect(byName["pod/pod"]).toMatchObject({ ready: 1, desired: 1, placement: "ephemeral" });
  }, 30_000);

  test("ls as text; without pods/ephemeralcontainers it says agents run in their own pod", async () => {
    const r = await kfwd(["ls", "--kubeconfig", lab!.restricted, "-n", nsNoEphemeral]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("ephemeral containers not allowed");
    expect(r.stdout).toMatch(/^deployment\/shop\s+1\/1\s+pod$/m);
    const list = await ls(nsNoEphemeral);
    expect(list.ephemeralAllowed).toBe(false);
    expect(list.targets.every((t) => t.placement === "pod")).toBe(true);
  }, 30_000);

  test("init writes the profile (env names, no values), checks it, refuses to overwrite; run reaches the Service", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kfwd-init-"));
    const out = join(dir, "shop.toml");
    const args = [
      "init",
      "--kubeconfig",
      lab!.restricted,
      "-n",
      ns,
      "--target",
      "deployment/shop",
      "--out",
      out,
      "--yes",
      "--no-run-check",
    ];
    const r = await kfwd(args, { env: { NO_COLOR: "1" }, timeoutMs: 60_000 });
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain(`namespace "${ns}", deployment/shop`);
    expect(r.stdout).toMatch(/names only\): LOG_LEVEL, SHOP_TOKEN$/m);
    expect(r.stdout).toContain('every key of Secret "shop" (prefix SHOP_)');
    expect(r.stdout).toMatch(/^ok {3}permissions: all \d+ permissions/m);
    expect(r.code).toBe(0);
    const text = readFileSync(out, "utf8");
    expect(text).toMatch(/^#:schema \/.*kfwd-profile\.schema\.json$/m);
    expect(text).toContain('workload = "deployment/shop"');
    expect(text).toContain(`namespace = "${ns}"`);
    expect(text).toContain("#   LOG_LEVEL SHOP_TOKEN");
    expect(text + r.stdout).not.toContain(SECRET_VALUE);
    expect(text).not.toContain("excluded-by-default");

    writeFileSync(out, "# mine\n");
    const again = await kfwd(args);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("the file exists");
    expect(again.stderr).toContain("--force");
    expect(readFileSync(out, "utf8")).toBe("# mine\n");
    expect((await kfwd([...args, "--force"], { timeoutMs: 60_000 })).code).toBe(0);

    const run = await kfwd(
      [
        "run",
        out,
        "--",
        "sh",
        "-c",
        `curl -sS http://shop.${ns}.svc.cluster.local:8080/hello; echo; echo "LOG_LEVEL=$LOG_LEVEL"`,
      ],
      { timeoutMs: 90_000 },
    );
    expect(run.stdout).toContain("hello from shop-");
    expect(run.stdout).toContain("LOG_LEVEL=info");
    expect(run.code).toBe(0);
  }, 200_000);

  /** kfwd init on a terminal (util-linux `script` gives it one), typing `keys` once the target question shows. */
  async function initOnTerminal(out: string, keys: string): Promise<{ code: number; screen: string }> {
    const command = `${KFWD} init --kubeconfig ${lab!.restricted} -n ${ns} --out ${out} --no-run-check`;
    const p = Bun.spawn(["script", "-qfec", command, "/dev/null"], {
      stdin: "pipe",
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, NO_COLOR: "1" },
    });
    let screen = "";
    const reader = p.stdout.getReader();
    let typed = false;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      screen += new TextDecoder().decode(value);
      if (!typed && screen.includes("Number [")) {
        typed = true;
        p.stdin.write(keys);
        p.stdin.flush();
      }
    }
    p.stdin.end();
    return { code: await p.exited, screen: screen.replaceAll("\r", "") };
  }

  test("init on a terminal: the target is picked from a numbered list", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "kfwd-init-")), "picked.toml");
    const r = await initOnTerminal(out, "3\r");
    expect(r.screen).toMatch(/1\) deployment\/shop +1\/1 ready/);
    expect(r.screen).toMatch(/3\) service\/shop +1\/1 ready/);
    expect(r.screen).toContain("none: an agent pod");
    expect(r.screen).toMatch(/Wrote \S*picked\.toml: .*service\/shop/);
    expect(r.code).toBe(0);
    expect(readFileSync(out, "utf8")).toContain('service = "shop"');
  }, 60_000);

  test("init on a terminal: Ctrl-D at the question cancels and writes nothing", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "kfwd-init-")), "cancelled.toml");
    const r = await initOnTerminal(out, "\x04");
    expect(r.screen).toContain("Cancelled: no profile was written");
    expect(r.screen).not.toContain("unexpected error");
    expect(r.code).toBe(1);
    expect(existsSync(out)).toBe(false);
  }, 60_000);

  test("init names the targets when --target is wrong", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "kfwd-init-")), "p.toml");
    const r = await kfwd([
      "init",
      "--kubeconfig",
      lab!.restricted,
      "-n",
      ns,
      "--target",
      "deployment/shp",
      "--out",
      out,
      "--yes",
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Did you mean "deployment/shop"?');
  }, 30_000);
});
