/**
 * Address rewriting end to end, with the compiled kfwd and a local agent in a network namespace: what
 * `kfwd env` prints and explains, that rewritten values reach the cluster, and that a failing cluster end is
 * said on stderr once per cause.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { canMakeNetns, type FakeCluster, NAMES, PORTS, startFakeCluster } from "../../helpers/fake-cluster";
import { KFWD, kfwd, localProfile } from "../../helpers/kfwd";

const web = `${NAMES.web}:${PORTS.http}`;

const POD = {
  DATABASE_URL: `postgres://app:s3cret@${web}/orders?sslmode=disable`,
  SAME_PLACE: `http://${web}/hello`,
  BROKERS: `${NAMES.echo}:${PORTS.echo},${web}`,
  SHORT_NAME: `http://ledger.shop:${PORTS.http}/hello`,
  WEB_SERVICE_HOST: "10.96.0.10",
  WEB_SERVICE_PORT: String(PORTS.http),
  WEB_SERVICE_PORT_HTTP: String(PORTS.http),
  WEB_PORT: `tcp://10.96.0.10:${PORTS.http}`,
  WEB_PORT_8080_TCP: `tcp://10.96.0.10:${PORTS.http}`,
  WEB_PORT_8080_TCP_ADDR: "10.96.0.10",
  WEB_PORT_8080_TCP_PORT: String(PORTS.http),
  WEB_PORT_8080_TCP_PROTO: "tcp",
  TLS_URL: `https://${NAMES.tls}:${PORTS.https}/`,
  PUBLIC_URL: "http://localhost:3000/",
  KUBERNETES_SERVICE_HOST: "10.96.0.1",
  KUBERNETES_SERVICE_PORT: "443",
  LOG_LEVEL: "debug",
};

const tomlSet = (env: Record<string, string>): string =>
  `[env.set]\n${Object.entries(env)
    .map(([k, v]) => `${k} = ${JSON.stringify(v)}`)
    .join("\n")}\n`;

describe.skipIf(!canMakeNetns())("rewriting cluster addresses in the env", () => {
  let cluster: FakeCluster;
  let profile: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    cluster = await startFakeCluster();
    profile = localProfile(cluster.netns, tomlSet(POD));
    env = { XDG_RUNTIME_DIR: mkdtempSync(join(tmpdir(), "kfwd-xdg-")) };
  });
  afterAll(async () => {
    await kfwd(["down", "--all"], { env });
    await cluster?.stop();
  });

  test("kfwd env: each cluster address points at a loopback listener, every other part kept", async () => {
    const r = await kfwd(["env", "--format", "json", profile], { env });
    expect(r.code).toBe(0);
    const got = JSON.parse(r.stdout) as Record<string, string>;
    const port = /^postgres:\/\/app:s3cret@127\.0\.0\.1:(\d+)\/orders\?sslmode=disable$/.exec(
      got.DATABASE_URL ?? "",
    )?.[1];
    expect(port).toBeDefined();
    // Identical destinations share one listener.
    expect(got.SAME_PLACE).toBe(`http://127.0.0.1:${port}/hello`);
    expect(got.BROKERS).toMatch(new RegExp(`^127\\.0\\.0\\.1:\\d+,127\\.0\\.0\\.1:${port}$`));
    expect(got.SHORT_NAME).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/hello$/);
    // Service-link variables: the host becomes loopback, each port variable its listener's port.
    expect(got.WEB_SERVICE_HOST).toBe("127.0.0.1");
    expect(got.WEB_SERVICE_PORT).toMatch(/^\d+$/);
    expect(got.WEB_SERVICE_PORT_HTTP).toBe(got.WEB_SERVICE_PORT);
    // Docker-link style variables: URLs, and an ADDR/PORT pair; the same Service IP and port, the same listener.
    expect(got.WEB_PORT).toBe(`tcp://127.0.0.1:${got.WEB_SERVICE_PORT}`);
    expect(got.WEB_PORT_8080_TCP).toBe(got.WEB_PORT);
    expect(got.WEB_PORT_8080_TCP_ADDR).toBe("127.0.0.1");
    expect(got.WEB_PORT_8080_TCP_PORT).toBe(got.WEB_SERVICE_PORT);
    expect(got.WEB_PORT_8080_TCP_PROTO).toBe("tcp");
    // Left alone: TLS (the certificate names the cluster host), loopback, the API server's, non-addresses.
    for (const name of ["TLS_URL", "PUBLIC_URL", "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT", "LOG_LEVEL"])
      expect(got[name]).toBe(POD[name as keyof typeof POD]);
  });

  test("kfwd env --explain lists each rewrite, why, and masks passwords", async () => {
    const r = await kfwd(["env", "--explain", profile], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(
        `^DATABASE_URL: postgres://app:\\*\\*\\*@${web.replaceAll(".", "\\.")}/orders\\?sslmode=disable → postgres://app:\\*\\*\\*@127\\.0\\.0\\.1:\\d+/orders\\?sslmode=disable \\(reach: cluster domain name\\)$`,
        "m",
      ),
    );
    expect(r.stdout).toMatch(/^SHORT_NAME: .* \(reach: resolves only in the pod\)$/m);
    expect(r.stdout).toMatch(/^WEB_SERVICE_HOST: 10\.96\.0\.10 → 127\.0\.0\.1 \(reach: a Service IP/m);
    expect(r.stdout).not.toContain("s3cret");
    expect(r.stdout).not.toMatch(/^(TLS_URL|PUBLIC_URL|KUBERNETES_\w+|LOG_LEVEL):/m);
  });

  test("kfwd run: clients given the rewritten values reach the cluster, and the service-link pair too", async () => {
    const r = await kfwd(
      [
        "run",
        profile,
        "--",
        "sh",
        "-c",
        'curl -sS --fail --noproxy "*" "$SAME_PLACE" && curl -sS --fail --noproxy "*" "$SHORT_NAME" && curl -sS --fail --noproxy "*" "http://$WEB_SERVICE_HOST:$WEB_SERVICE_PORT/hello"',
      ],
      { env },
    );
    expect(r.stdout.match(/hello from the cluster/g)).toHaveLength(3);
    expect(r.code).toBe(0);
  });

  test("the shell's own NODE_OPTIONS is kept after the preload, and --unset gives it back", async () => {
    const r = Bun.spawnSync(
      [
        "bash",
        "-c",
        `set -e; export NODE_OPTIONS=--max-old-space-size=123; eval "$(${KFWD} env ${profile})"; eval "$(${KFWD} env ${profile})"
         echo "during: $NODE_OPTIONS"; node -e 'console.log("heap limit MB:", Math.round(require("v8").getHeapStatistics().heap_size_limit / 2 ** 20))'
         node -e 'require("http").get("http://${web}/hello", (r) => r.pipe(process.stdout))'
         eval "$(${KFWD} env --unset ${profile})"; echo "after: $NODE_OPTIONS"`,
      ],
      { env: { ...process.env, ...env } },
    );
    const out = r.stdout.toString();
    expect(out).toMatch(/^during: --require=\S+kfwd-preload\.cjs --max-old-space-size=123$/m);
    expect(out).toMatch(/heap limit MB: 1\d\d\b/);
    expect(out).toContain("hello from the cluster");
    expect(out).toMatch(/^after: --max-old-space-size=123$/m);
    expect(r.exitCode).toBe(0);
  });

  test("a TLS URL is left alone and Node reaches it through the preload, the certificate checked for its name", async () => {
    const script = `require("https").get(process.env.TLS_URL + "hello", { ca: require("fs").readFileSync("${cluster.caFile}") }, (r) => r.pipe(process.stdout)).on("error", (e) => { console.error(e.message); process.exit(1); })`;
    const r = await kfwd(["run", profile, "--", "node", "-e", script], { env });
    expect(r.stdout).toContain("hello from the cluster");
    expect(r.code).toBe(0);
  });

  test("[reach] rewrite = false leaves every value as the pod has it", async () => {
    const off = localProfile(cluster.netns, `${tomlSet(POD)}[reach]\nrewrite = false\n`);
    const r = await kfwd(["run", off, "--", "sh", "-c", 'echo "$DATABASE_URL"']);
    expect(r.stdout.trim()).toBe(POD.DATABASE_URL);
  });
});

describe.skipIf(!canMakeNetns())("a failing cluster end is visible", () => {
  let cluster: FakeCluster;
  beforeAll(async () => {
    cluster = await startFakeCluster();
  });
  afterAll(() => cluster?.stop());

  test("once per cause on stderr with the agent's reason; the HTTP proxy's 502 names it too", async () => {
    const profile = localProfile(
      cluster.netns,
      tomlSet({ REFUSED_URL: `http://${NAMES.web}:7/`, MISSING_URL: "http://nothing.shop.svc.cluster.local:8080/" }),
    );
    const twice = (v: string) => `curl -s --noproxy "*" "$${v}"; curl -s --noproxy "*" "$${v}";`;
    const r = await kfwd([
      "run",
      profile,
      "--",
      "sh",
      "-c",
      `${twice("REFUSED_URL")} ${twice("MISSING_URL")} curl -s http://${NAMES.web}:7/`,
    ]);
    const warnings = r.stderr.split("\n").filter((l) => l.includes("warning:"));
    const refused = warnings.filter((l) => l.includes(`"${NAMES.web}:7"`));
    const missing = warnings.filter((l) => l.includes('"nothing.shop.svc.cluster.local:8080"'));
    expect(refused).toHaveLength(1);
    expect(refused[0]).toContain("connection refused");
    expect(refused[0]).toContain("(for REFUSED_URL)");
    expect(missing).toHaveLength(1);
    expect(missing[0]).toContain("name not found");
    expect(r.stdout).toContain(`kfwd: Cannot connect to "${NAMES.web}:7" from the agent: connection refused`);
  });
});
