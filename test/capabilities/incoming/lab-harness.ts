/**
 * What the [incoming] lab tests share: a kfwd state directory of their own (no other kfwd on this machine can
 * stop or list their sessions), the test's app (a Deployment and Service) with a client pod beside it, profiles
 * with an [incoming] section for that Service, sessions started and found by profile, and host apps — what a
 * test started is undone after it, whatever failed, so the next one finds the Service free.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { apiPath } from "../../../src/kube/api-path";
import { kfwd as run } from "../../helpers/kfwd";
import { type Lab, labProfile } from "../../helpers/lab";
import { createRunningPod, idlePod } from "../../helpers/lab-objects";
import { createTestApp, type TestApp } from "../../helpers/testapp";

export function incomingLab(lab: Lab, prefix: string) {
  const name = `${prefix}-${Date.now().toString(36)}`;
  const client = `${name}-client`;
  const state = mkdtempSync(join(tmpdir(), `kfwd-${prefix}-state-`));
  const kfwd = (args: string[], options: { timeoutMs?: number } = {}) =>
    run(args, { ...options, env: { XDG_RUNTIME_DIR: state } });
  let app: TestApp | undefined;
  let profiles: string[] = [];
  let hosts: Array<{ stop(closeActive?: boolean): void }> = [];

  /** The session started for `path` in this state directory. */
  const pidOf = async (path: string): Promise<number> => {
    const r = await kfwd(["status", "--json"]);
    const parsed = JSON.parse(r.stdout) as unknown;
    const list = (Array.isArray(parsed) ? parsed : (parsed as { sessions: unknown[] }).sessions) as Array<{
      profile: string;
      pid: number;
    }>;
    const found = list.find((s) => s.profile === path);
    if (!found) throw new Error(`no session for ${path}: ${r.stdout}`);
    return found.pid;
  };

  return {
    name,
    client,
    kfwd,
    pidOf,
    /** The test's app; set once `setUp` ran. */
    get app(): TestApp {
      if (!app) throw new Error("incomingLab: setUp has not run");
      return app;
    },
    async setUp(): Promise<void> {
      app = await createTestApp(lab, name);
      await createRunningPod(app.admin, lab.namespace, idlePod(client));
    },
    /** After each test: its sessions down, its host apps stopped. */
    async cleanUp(): Promise<void> {
      await Promise.all(profiles.map((p) => kfwd(["down", p])));
      for (const h of hosts) h.stop(true);
      profiles = [];
      hosts = [];
    },
    async tearDown(): Promise<void> {
      await kfwd(["down", "--all"]);
      await app?.admin.delete(apiPath({ resource: "pods", namespace: lab.namespace, name: client }), {
        ignoreNotFound: true,
      });
      await app?.remove();
      rmSync(state, { recursive: true, force: true });
    },
    /** A host app (Bun.serve) stopped after the test. */
    keep<T extends { stop(closeActive?: boolean): void }>(server: T): T {
      hosts.push(server);
      return server;
    },
    /** A profile for the app's Service with `incoming` as its [incoming] section. */
    profile(incoming: string): string {
      const path = labProfile(lab, `service = "${name}"`, "");
      writeFileSync(path, `${readFileSync(path, "utf8")}[incoming]\n${incoming}\n`);
      profiles.push(path);
      return path;
    },
    async up(path: string) {
      const r = await kfwd(["up", path], { timeoutMs: 120_000 });
      if (r.code !== 0) throw new Error(`kfwd up failed: ${r.stderr}`);
      return r;
    },
    /** A script run with Bun in the client pod; its stdout. */
    async inCluster(script: string): Promise<string> {
      const p = Bun.spawn(
        [lab.kubectl, "--kubeconfig", lab.admin, "-n", lab.namespace, "exec", client, "--", "bun", "-e", script],
        { stdout: "pipe", stderr: "pipe" },
      );
      const [out, err, code] = await Promise.all([
        new Response(p.stdout).text(),
        new Response(p.stderr).text(),
        p.exited,
      ]);
      if (code !== 0) throw new Error(`in-cluster client failed (${code}): ${err}`);
      return out;
    },
  };
}
