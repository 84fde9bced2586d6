/**
 * Incoming traffic on the lab, as the restricted user (deploy/kfwd-role.yaml: kfwd + kfwd-incoming), through the
 * compiled binary, with clients in a pod of the cluster: steal, mirror, filtered sharing (two sessions started
 * at once, plus unfiltered traffic, and a WebSocket), replace; kill -9 of kfwd in each mode is restored by the
 * agent pod (the time is printed); the target's pods are never restarted.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { apiPath } from "../../../src/kube/api-path";
import { KFWD } from "../../helpers/kfwd";
import { requireLabOrSkip } from "../../helpers/lab";
import { incomingLab } from "./lab-harness";

const lab = requireLabOrSkip();
const h = lab ? incomingLab(lab, "ki") : undefined;
const name = h?.name ?? "";
const client = h?.client ?? "";
const kfwd = (args: string[], options: { timeoutMs?: number } = {}) => h!.kfwd(args, options);

interface Svc {
  spec: { selector?: Record<string, string> };
  metadata: { annotations?: Record<string, string> };
}

describe.skipIf(!lab || !existsSync(KFWD))("[incoming] on the lab", () => {
  /** An HTTP (and WebSocket) server on this machine answering "<tag> <path>". */
  const hostApp = (tag: string): { port: number; seen: string[] } => {
    const seen: string[] = [];
    const server = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch(req, srv) {
        seen.push(new URL(req.url).pathname);
        if (srv.upgrade(req, { data: undefined })) return;
        return new Response(`${tag} ${new URL(req.url).pathname}\n`);
      },
      websocket: {
        message: (ws, m) => {
          ws.send(`${tag} ws ${m}`);
        },
      },
    });
    h!.keep(server);
    return { port: server.port as number, seen };
  };

  const profile = (incoming: string): string => h!.profile(incoming);
  const inCluster = (script: string): Promise<string> => h!.inCluster(script);
  const get = (path: string, header = "") =>
    inCluster(
      `const r=await fetch("http://${name}:8080${path}",{headers:${header ? `{"x-dev-user":"${header}"}` : "{}"}});process.stdout.write(await r.text())`,
    );

  const service = (): Promise<Svc> =>
    h!.app.admin.get<Svc>(apiPath({ resource: "services", namespace: lab!.namespace, name }));
  const pods = async (): Promise<string> => {
    const list = await h!.app.admin.list<{
      metadata: { uid: string };
      status?: { containerStatuses?: { restartCount: number }[] };
    }>(apiPath({ resource: "pods", namespace: lab!.namespace }), { labelSelector: `app=${name},!job-name` });
    return list.items
      .map((p) => `${p.metadata.uid}:${p.status?.containerStatuses?.[0]?.restartCount}`)
      .sort()
      .join(",");
  };
  /** Waits (≤ 30 s) until the Service's ready endpoints are exactly the agent pods of its `n` sessions. */
  const endpointsAreSessions = async (n: number): Promise<void> => {
    let last = "";
    for (let i = 0; i < 150; i++) {
      const table = JSON.parse((await service()).metadata.annotations?.["kfwd.dev/intercept"] ?? "{}") as {
        sessions?: Record<string, { ip: string }>;
      };
      const agents = Object.values(table.sessions ?? {})
        .map((e) => e.ip)
        .sort();
      const slices = await h!.app.admin.list<{
        endpoints?: { addresses: string[]; conditions?: { ready?: boolean } }[];
      }>(apiPath({ group: "discovery.k8s.io", resource: "endpointslices", namespace: lab!.namespace }), {
        labelSelector: `kubernetes.io/service-name=${name}`,
      });
      const ready = slices.items
        .flatMap((sl) => sl.endpoints ?? [])
        .filter((e) => e.conditions?.ready !== false)
        .flatMap((e) => e.addresses)
        .sort();
      last = `agents ${agents.join(",")}; ready endpoints ${ready.join(",")}`;
      if (agents.length === n && ready.join(",") === agents.join(",")) return;
      await Bun.sleep(200);
    }
    throw new Error(`the Service's endpoints did not settle on its ${n} sessions' agents: ${last}`);
  };
  const pidOf = (path: string): Promise<number> => h!.pidOf(path);
  const up = async (path: string): Promise<void> => void (await h!.up(path));
  /** kill -9 of kfwd, then the time until `restored()` holds. */
  const killAndTime = async (path: string, restored: () => Promise<boolean>): Promise<number> => {
    process.kill(await pidOf(path), "SIGKILL");
    const t0 = performance.now();
    while (!(await restored())) {
      if (performance.now() - t0 > 30_000) throw new Error("not restored within 30 s");
      await Bun.sleep(100);
    }
    return performance.now() - t0;
  };
  const deployment = apiPath({ group: "apps", resource: "deployments", namespace: lab!.namespace, name });
  const replicas = async () => (await h!.app.admin.get<{ spec: { replicas: number } }>(deployment)).spec.replicas;
  const selectorRestored = async () =>
    JSON.stringify((await service()).spec.selector) === JSON.stringify({ app: name });

  beforeAll(() => h!.setUp(), 180_000);
  afterEach(() => h!.cleanUp(), 60_000);
  afterAll(() => h!.tearDown(), 120_000);

  test("steal: the cluster's requests reach the host app; after kfwd down, and after kill -9, the pods again", async () => {
    const before = await pods();
    const host = hostApp("laptop");
    const path = profile(`mode = "steal"\nports = ["8080:${host.port}"]`);
    await up(path);
    expect(await get("/hello")).toBe("laptop /hello\n");
    expect((await service()).spec.selector).toEqual({ [`intercept.kfwd.dev/${name}`]: "true" });
    expect((await kfwd(["down", path])).code).toBe(0);
    expect(await get("/hello")).toStartWith(`hello from ${name}-`);
    expect((await service()).metadata.annotations?.["kfwd.dev/intercept"]).toBeUndefined();

    await up(path);
    expect(await get("/again")).toBe("laptop /again\n");
    const ms = await killAndTime(path, selectorRestored);
    console.log(`steal: Service restored ${Math.round(ms)} ms after kill -9 of kfwd`);
    expect(await get("/hello")).toStartWith(`hello from ${name}-`);
    expect(await pods()).toBe(before);
  }, 180_000);

  test.each(["steal", "replace"])(
    "%s: a client sending every 20 ms through start, kfwd down and kill -9: failures counted per phase",
    async (mode) => {
      const host = hostApp("laptop");
      const path = profile(`mode = "${mode}"\nports = ["8080:${host.port}"]`);
      const restored = mode === "replace" ? async () => (await replicas()) === 2 : selectorRestored;
      // Requests one after another, 20 ms apart, each on a new connection (a kept-alive one stays where it was
      // opened: kube-proxy places connections), until stdin ends; then each one's time, outcome and side.
      const steady = Bun.spawn(
        [
          lab!.kubectl,
          "--kubeconfig",
          lab!.admin,
          "-n",
          lab!.namespace,
          "exec",
          "-i",
          client,
          "--",
          "bun",
          "-e",
          `
        const log=[];let stop=false;process.stdin.on("end",()=>{stop=true});process.stdin.resume();
        while(!stop){const t=Date.now();
          try{const r=await fetch("http://${name}:8080/hello",{signal:AbortSignal.timeout(3000),keepalive:false,headers:{connection:"close"}});const b=await r.text();
            log.push([t,r.status===200?(b.startsWith("laptop")?"host":"pods"):"status "+r.status])}
          catch(e){log.push([t,"failed "+(e.code??e.name)])}
          await Bun.sleep(20)}
        console.log(JSON.stringify(log))`,
        ],
        { stdin: "pipe", stdout: "pipe", stderr: "pipe" },
      );
      const output = new Response(steady.stdout).text();
      const marks: Array<[string, number]> = [];
      const mark = (phase: string): void => void marks.push([phase, Date.now()]);
      try {
        await Bun.sleep(2000);
        mark("start");
        await up(path);
        await Bun.sleep(2000);
        mark("stop");
        expect((await kfwd(["down", path])).code).toBe(0);
        await Bun.sleep(3000);
        mark("start again");
        await up(path);
        await Bun.sleep(2000);
        mark("kill -9");
        await killAndTime(path, restored);
        await Bun.sleep(mode === "replace" ? 8000 : 5000);
        mark("end");
      } finally {
        steady.stdin.end();
      }
      const log = JSON.parse(await output) as Array<[number, string]>;
      const phases = marks.slice(0, -1).map(([phase, from], i) => {
        const to = marks[i + 1]![1];
        const during = log.filter(([t]) => t >= from && t < to);
        const failed = during.filter(([, what]) => what !== "host" && what !== "pods");
        // Requests are sent one after another: the longest gap between two starts is the slowest answer (+20 ms).
        const slowestMs = Math.max(0, ...during.slice(1).map(([t], j) => t - during[j]![0] - 20));
        return {
          phase,
          requests: during.length,
          failed: failed.length,
          how: [...new Set(failed.map(([, w]) => w))],
          slowestMs,
        };
      });
      console.log(`steady client, ${mode} (a request every 20 ms, new connection each): ${JSON.stringify(phases)}`);
      // The side switches with each phase: the host answers once started, the pods after down and after kill -9.
      expect(log.some(([, w]) => w === "host") && log.at(-1)?.[1]).toBe("pods");
      const byPhase = Object.fromEntries(phases.map((p) => [p.phase, p.failed]));
      expect(byPhase.stop).toBe(0);
      // After kill -9 at most the request the host held when it died is lost: steal's agent sends the rest to the
      // pods through the origin while kube-proxy catches up; replace's holds them until the restored workload has
      // a Ready pod and sends them there (a few seconds: a request may then time out, at most one more).
      expect(byPhase["kill -9"]).toBeLessThanOrEqual(mode === "steal" ? 1 : 2);
    },
    180_000,
  );

  test("mirror: the client gets the pods' answers while the host app sees every request", async () => {
    const host = hostApp("mirror");
    const path = profile(`mode = "mirror"\nports = ["8080:${host.port}"]`);
    await up(path);
    const out = await inCluster(
      `const r=[];for(let i=0;i<20;i++)r.push(await (await fetch("http://${name}:8080/m"+i)).text());console.log(JSON.stringify(r))`,
    );
    expect((JSON.parse(out) as string[]).every((t) => t.startsWith(`hello from ${name}-`) || t.includes("404"))).toBe(
      true,
    );
    for (let i = 0; i < 50 && host.seen.length < 20; i++) await Bun.sleep(100);
    expect(host.seen).toEqual(Array.from({ length: 20 }, (_, i) => `/m${i}`));
    const ms = await killAndTime(path, selectorRestored);
    console.log(`mirror: Service restored ${Math.round(ms)} ms after kill -9 of kfwd`);
  }, 180_000);

  test("filter: two sessions started at once share the Service; 3 × 200 concurrent requests land right; WebSocket", async () => {
    const before = await pods();
    const alice = hostApp("alice");
    const bob = hostApp("bob");
    const pa = profile(`mode = "steal"\nports = ["8080:${alice.port}"]\nheader = "x-dev-user: alice"`);
    const pb = profile(`mode = "steal"\nports = ["8080:${bob.port}"]\nheader = "x-dev-user: bob"`);
    await Promise.all([up(pa), up(pb)]);
    // Routing is what this measures; requests during the start itself are counted by the steady-client tests.
    // Under loaded CI runs one of 600 failed here now and then (a refused connection, not a wrong route), even
    // 2 s after both started: the requests wait until the Service's ready endpoints are the two agent pods.
    await endpointsAreSessions(2);
    const out = await inCluster(`
      const kinds=[["alice","alice /f"],["bob","bob /f"],[undefined,"hello from"]];
      const c={ok:0,wrong:0,failed:0},why=[];
      await Promise.all(kinds.flatMap(([u,want])=>Array.from({length:200},async()=>{
        try{const r=await fetch(u?"http://${name}:8080/f":"http://${name}:8080/hello",{headers:u?{"x-dev-user":u}:{}});
          (await r.text()).startsWith(want)?c.ok++:c.wrong++}catch(e){c.failed++;why.push(String(u)+": "+String(e))}})));
      console.log(JSON.stringify(c));console.log(JSON.stringify(why))`);
    const [counts = "{}", reasons = "[]"] = out.trim().split("\n");
    if (reasons !== "[]") console.error(`filter: failed requests: ${reasons}`);
    expect(JSON.parse(counts)).toEqual({ ok: 600, wrong: 0, failed: 0 });
    // WebSocket upgrades through the filter, 10 per user: kube-proxy sends about half to the other session's
    // agent, which must pass the upgrade to the matching one and then relay raw frames both ways.
    const ws = await inCluster(`
      const one=(u)=>new Promise((resolve)=>{
        const ws=new WebSocket("ws://${name}:8080/ws",{headers:{"x-dev-user":u}});
        let opened=false;
        const t=setTimeout(()=>{ws.close();resolve(opened?"timeout after the upgrade":"timeout before the upgrade")},10000);
        ws.onopen=()=>{opened=true;ws.send("hi "+u)};
        ws.onmessage=(m)=>{clearTimeout(t);ws.close();resolve(String(m.data))};
        ws.onerror=(e)=>{clearTimeout(t);resolve("error "+(e.message??""))};
      });
      const users=Array.from({length:20},(_,i)=>i%2?"bob":"alice");
      console.log(JSON.stringify(await Promise.all(users.map(one))))`);
    const wanted = Array.from({ length: 20 }, (_, i) => (i % 2 ? "bob ws hi bob" : "alice ws hi alice"));
    // Where a WebSocket went wrong, the sessions' counters say which way connections went.
    if (ws.trim() !== JSON.stringify(wanted))
      console.error(`filter: WebSockets ${ws}${(await kfwd(["status"])).stdout}`);
    expect(JSON.parse(ws)).toEqual(wanted);
    // Some of those crossed agents (the agents' counters reach status within its 2 s poll).
    let crossed = 0;
    for (let i = 0; i < 30 && crossed === 0; i++, await Bun.sleep(200)) {
      const text = (await kfwd(["status"])).stdout;
      crossed = [...text.matchAll(/other sessions (\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
    }
    expect(crossed).toBeGreaterThan(0);
    const status = await kfwd(["status"]);
    expect(status.stdout).toContain("[x-dev-user: alice]");
    const msBob = await killAndTime(
      pb,
      async () => !(await service()).metadata.annotations?.["kfwd.dev/intercept"]?.includes('"bob"'),
    );
    expect(await get("/still", "alice")).toBe("alice /still\n");
    const msAlice = await killAndTime(pa, selectorRestored);
    console.log(
      `filter: bob's entry gone ${Math.round(msBob)} ms, Service restored ${Math.round(msAlice)} ms after kill -9`,
    );
    expect(await pods()).toBe(before);
  }, 240_000);

  test("replace: 2 replicas → 0 → 2, after kfwd down and after kill -9", async () => {
    const host = hostApp("replaced");
    const path = profile(`mode = "replace"\nports = ["8080:${host.port}"]`);
    await up(path);
    expect(await replicas()).toBe(0);
    expect(await get("/r")).toBe("replaced /r\n");
    expect((await kfwd(["down", path])).code).toBe(0);
    expect(await replicas()).toBe(2);
    await up(path);
    expect(await replicas()).toBe(0);
    const ms = await killAndTime(path, async () => (await replicas()) === 2);
    console.log(`replace: replicas back to 2 ${Math.round(ms)} ms after kill -9 of kfwd`);
  }, 240_000);
});
