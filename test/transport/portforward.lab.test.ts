/**
 * The port-forward link on the lab, as the restricted user (deploy/kfwd-role.yaml, which grants pods/portforward):
 * once the session is up, new streams go over it — `kfwd status --json` says so, and over which protocol (SPDY,
 * or WebSocket where SPDY cannot pass) — and a download through a `[[forward]]` arrives intact. With
 * `[agent] transport = "exec"` everything stays on exec.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SessionJson } from "../../src/session/status-text";
import { KFWD, kfwd, writeProfile } from "../helpers/kfwd";
import { startConnectProxy } from "../helpers/connect-proxy";
import { labProfile, requireLabOrSkip } from "../helpers/lab";
import { freePort } from "../helpers/ports";
import { createTestApp, type TestApp } from "../helpers/testapp";

const lab = requireLabOrSkip();
const name = `pf-${Date.now().toString(36)}`;
const SIZE = 48 * 1024 * 1024;

/** What the testapp's /bytes/<n> sends: its 15-byte line, repeated. */
function expectedDigest(n: number): string {
  const line = "kfwd-lab-bytes\n";
  return createHash("sha256")
    .update(line.repeat(Math.ceil(n / line.length)).slice(0, n))
    .digest("hex");
}

async function status(profile: string): Promise<SessionJson> {
  const r = await kfwd(["status", "--json"]);
  const found = (JSON.parse(r.stdout) as SessionJson[]).find((s) => s.profile === profile);
  if (!found) throw new Error(`no session for ${profile}: ${r.stdout}`);
  return found;
}

describe.skipIf(!lab || !Bun.file(KFWD).size)("the port-forward link on the lab", () => {
  let app: TestApp;
  const profiles: string[] = [];

  beforeAll(async () => {
    app = await createTestApp(lab!, name);
  }, 150_000);

  afterAll(async () => {
    for (const p of profiles) await kfwd(["down", p]);
    await app?.remove();
  }, 120_000);

  const session = async (
    transport: "auto" | "exec",
    env: Record<string, string> = {},
  ): Promise<{ profile: string; port: number; first: SessionJson }> => {
    const port = await freePort();
    const profile = labProfile(
      lab!,
      `service = "${name}"`,
      `placement = "pod"\ntransport = "${transport}"\n\n[[forward]]\nlocal = ${port}\nremote = "${name}:8080"`,
    );
    profiles.push(profile);
    const r = await kfwd(["up", profile], { timeoutMs: 120_000, env });
    if (r.code !== 0) throw new Error(`kfwd up failed: ${r.stderr}`);
    const first = await status(profile); // as kfwd up left it, before any connection
    // A Service made a moment ago refuses connections until kube-proxy has programmed its endpoints.
    for (let i = 0; i < 100; i++) {
      // Not kept alive: a connection opened before the link was added stays on exec.
      const ok = await fetch(`http://127.0.0.1:${port}/hello`, { headers: { Connection: "close" } }).then(
        (res) => res.ok,
        () => false,
      );
      if (ok) break;
      await Bun.sleep(200);
    }
    return { profile, port, first };
  };

  const download = async (port: number): Promise<string> => {
    const res = await fetch(`http://127.0.0.1:${port}/bytes/${SIZE}`);
    const hash = createHash("sha256");
    for await (const chunk of res.body!) hash.update(chunk);
    return hash.digest("hex");
  };

  /** The link is added beside exec once the agent answered: waits until status lists it. */
  const linked = async (profile: string): Promise<SessionJson> => {
    let s = await status(profile);
    for (let i = 0; i < 300 && s.streamsOver !== "portforward"; i++) {
      await Bun.sleep(100);
      s = await status(profile);
    }
    return s;
  };

  test("streams go over the port-forward link (SPDY); a 48 MiB download through it arrives intact", async () => {
    const { profile, port, first } = await session("auto");
    // kfwd up reports ready with the link already up, so its clients' first connections take it.
    expect(first.streamsOver).toBe("portforward");
    const s = await linked(profile);
    expect(s.links?.map((l) => l.transport)).toEqual(["exec", "portforward"]);
    expect(s.links?.[1]?.description).toStartWith("port-forward (SPDY) to ");
    expect(directToApi(s.pid).length).toBeGreaterThanOrEqual(2); // without a proxy: REST, exec, the link
    expect(await download(port)).toBe(expectedDigest(SIZE));
    const after = await status(profile);
    const [exec, pf] = after.links ?? [];
    expect(pf?.bytesReceived).toBeGreaterThan(SIZE);
    expect(exec?.bytesReceived).toBeLessThan(SIZE / 8);
    expect((await kfwd(["status", profile])).stdout).toContain("links     exec, portforward (streams)");
  }, 180_000);

  test("the same over the WebSocket port-forward protocol (what kfwd uses where SPDY cannot pass)", async () => {
    const { profile, port } = await session("auto", { KFWD_PORTFORWARD_PROTOCOL: "websocket" });
    const s = await linked(profile);
    expect(s.links?.[1]?.description).toStartWith("port-forward (WebSocket) to ");
    expect(await download(port)).toBe(expectedDigest(SIZE));
    const [exec, pf] = (await status(profile)).links ?? [];
    expect(pf?.bytesReceived).toBeGreaterThan(SIZE);
    expect(exec?.bytesReceived).toBeLessThan(SIZE / 8);
  }, 180_000);

  test("kfwd run starts its command once the port-forward link is up, so its first connections take it", async () => {
    const profile = labProfile(lab!, `service = "${name}"`, `placement = "pod"`);
    const r = await kfwd(["run", "--verbose", profile, "--", "true"], {
      timeoutMs: 120_000,
      env: { KFWD_DEBUG: "tunnel" },
    });
    expect(r.code).toBe(0);
    const linked = r.stderr.indexOf("streams now go over port-forward (SPDY)");
    const running = r.stderr.indexOf("Running true");
    expect(linked).toBeGreaterThanOrEqual(0);
    expect(running).toBeGreaterThan(linked);
  }, 180_000);

  /** A kfwd session whose every API server connection must cross `proxy`: its profile and forward port. */
  const proxiedSession = async (
    proxyUrl: string | undefined,
    env: Record<string, string>,
  ): Promise<{ profile: string; port: number }> => {
    let kubeconfig = lab!.restricted;
    if (proxyUrl) {
      const original = readFileSync(lab!.restricted, "utf8");
      kubeconfig = join(mkdtempSync(join(tmpdir(), "kfwd-proxied-")), "kubeconfig");
      writeFileSync(kubeconfig, original.replace(/^( +)server: (.*)$/m, `$1server: $2\n$1proxy-url: ${proxyUrl}`), {
        mode: 0o600,
      });
    }
    const port = await freePort();
    const profile = writeProfile(
      `[cluster]\nkubeconfig = "${kubeconfig}"\nnamespace = "${lab!.namespace}"\n[target]\nservice = "${name}"\n` +
        `[agent]\nplacement = "pod"\n\n[[forward]]\nlocal = ${port}\nremote = "${name}:8080"\n`,
    );
    profiles.push(profile);
    const r = await kfwd(["up", profile], { timeoutMs: 120_000, env });
    if (r.code !== 0) throw new Error(`kfwd up failed: ${r.stderr}`);
    return { profile, port };
  };
  /** The session process's own TCP connections to the API server (the kernel's view). */
  const directToApi = (pid: number): string[] => {
    const api = new URL(`https://${apiHost()}`);
    const ss = spawnSync("ss", ["-Htnp", "state", "established", "dst", api.hostname, "dport", "=", `:${api.port}`], {
      encoding: "utf8",
    });
    return ss.stdout.split("\n").filter((line) => line.includes(`pid=${pid},`));
  };
  const apiHost = (): string => new URL(/server: (.*)/.exec(readFileSync(lab!.restricted, "utf8"))![1]!).host;

  for (const from of ["proxy-url", "HTTPS_PROXY"] as const)
    test(`through an http:// proxy (${from}): API calls, exec and the SPDY link all cross it; a download arrives intact`, async () => {
      const proxy = await startConnectProxy({ credentials: "dev:s3cret" });
      try {
        const url = proxy.url.replace("http://", "http://dev:s3cret@");
        const { profile, port } =
          from === "proxy-url" ? await proxiedSession(url, {}) : await proxiedSession(undefined, { HTTPS_PROXY: url });
        const s = await linked(profile);
        expect(s.links?.[1]?.description).toStartWith("port-forward (SPDY) to ");
        expect(await download(port)).toBe(expectedDigest(SIZE));
        // REST calls, the exec WebSocket and the SPDY upgrade each opened tunnels to the API server, nothing else,
        // and the session holds no connection to the API server of its own.
        expect(proxy.heads.length).toBeGreaterThanOrEqual(3);
        expect(proxy.heads.every((h) => h.startsWith(`CONNECT ${apiHost()} HTTP/1.1`))).toBe(true);
        expect(directToApi(s.pid)).toEqual([]);
        await kfwd(["down", profile]);
      } finally {
        proxy.close();
      }
    }, 180_000);

  test("a proxy that cannot be reached: the error names it and where it came from, and how to go direct", async () => {
    const closed = await freePort();
    const profile = labProfile(lab!, `service = "${name}"`, `placement = "pod"`);
    const r = await kfwd(["env", profile], { env: { HTTPS_PROXY: `http://dev:s3cret@127.0.0.1:${closed}` } });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`through the proxy http://dev:***@127.0.0.1:${closed} (from HTTPS_PROXY)`);
    expect(r.stderr).toContain(`add "${new URL(`https://${apiHost()}`).hostname}" to NO_PROXY`);
    expect(r.stderr).not.toContain("s3cret");
  }, 60_000);

  test('[agent] transport = "exec": one link, and streams on it', async () => {
    const { profile, port } = await session("exec");
    expect(await download(port)).toBe(expectedDigest(SIZE));
    const s = await status(profile);
    expect(s.streamsOver).toBe("exec");
    expect(s.links?.map((l) => l.transport)).toEqual(["exec"]);
  }, 180_000);
});
