/**
 * [incoming] on the lab, in one run so the numbers compare (the restricted user, dist/kfwd): HTTP requests from a
 * client pod to a Service — straight to its pods (no session), through steal (every request to a host app), and
 * through a header filter (matching requests to the host app; the others through the agent to the pods).
 * Each measure runs `--requests` GETs over `--concurrency` kept-alive connections from a fresh Bun process in the
 * client pod (after 100 to warm up): requests/s, p50 and p99 latency, failures.
 * Usage: npm run bench:incoming [-- --requests N --concurrency C]. Prints a markdown table, writes
 * bench/results/incoming-kube-latest.json.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { apiPath } from "../src/kube/api-path";
import { createRunningPod, idlePod } from "../test/helpers/lab-objects";
import { createTestApp } from "../test/helpers/testapp";
import { findLab, profile } from "./kube-lab";

const root = join(import.meta.dir, "..");
const kfwd = join(root, "dist/kfwd");
const option = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const REQUESTS = option("requests", 2000);
const CONCURRENCY = option("concurrency", 8);
const lab = findLab();
const app = `kfwd-bench-in-${Date.now().toString(36)}`;
const client = `${app}-client`;
// A state directory of its own, so no other kfwd on this machine touches these sessions.
const STATE = mkdtempSync(join(tmpdir(), "kfwd-bench-incoming-"));
const env = { ...process.env, XDG_RUNTIME_DIR: STATE };

function kfwdOk(args: string[]): string {
  const r = spawnSync(kfwd, args, { encoding: "utf8", timeout: 300_000, env });
  if (r.status !== 0) throw new Error(`kfwd ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

interface Measure {
  rps: number;
  p50: number;
  p99: number;
  failed: number;
  /** How many answers came from the host app (the rest from the pods). */
  fromHost: number;
}

/** The load, run by Bun in the client pod: the numbers as JSON. */
async function load(header: string): Promise<Measure> {
  const script = `
    const url="http://${app}:8080/hello";const headers=${JSON.stringify(header ? { "x-dev-user": header } : {})};
    const one=async()=>{const t=performance.now();try{const r=await fetch(url,{headers});const b=await r.text();
      return [performance.now()-t,r.status===200?(b.startsWith("host")?"host":"pods"):"failed"]}catch{return [performance.now()-t,"failed"]}};
    const run=async(n)=>{const out=[];let next=0;await Promise.all(Array.from({length:${CONCURRENCY}},async()=>{
      while(next<n){next++;out.push(await one())}}));return out};
    await run(100);const t0=performance.now();const out=await run(${REQUESTS});const s=(performance.now()-t0)/1000;
    const ms=out.map(o=>o[0]).sort((a,b)=>a-b);const q=(p)=>ms[Math.min(ms.length-1,Math.floor(p*ms.length))];
    console.log(JSON.stringify({rps:out.length/s,p50:q(0.5),p99:q(0.99),failed:out.filter(o=>o[1]==="failed").length,
      fromHost:out.filter(o=>o[1]==="host").length}))`;
  // Asynchronous: the host app answers from this same process meanwhile.
  const p = Bun.spawn(
    [lab.kubectl, "--kubeconfig", lab.admin, "-n", lab.namespace, "exec", client, "--", "bun", "-e", script],
    {
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  const timer = setTimeout(() => p.kill(), 240_000);
  const [stdout, stderr, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  clearTimeout(timer);
  if (code !== 0) throw new Error(`load failed (${code}): ${stderr}`);
  return JSON.parse(stdout) as Measure;
}

async function main(): Promise<void> {
  const fixture = await createTestApp(lab, app);
  const host = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("host hello\n") });
  const sessions: string[] = [];
  const session = (incoming: string): string => {
    const p = profile(lab, `[target]\nservice = "${app}"\n[incoming]\n${incoming}\n`);
    kfwdOk(["up", p]);
    sessions.push(p);
    return p;
  };
  try {
    await createRunningPod(fixture.admin, lab.namespace, idlePod(client));
    const results: Record<string, Measure> = {};
    results["straight to the Service (pods)"] = await load("");
    const steal = session(`mode = "steal"\nports = ["8080:${host.port}"]`);
    results["steal (host app)"] = await load("");
    kfwdOk(["down", steal]);
    session(`mode = "steal"\nports = ["8080:${host.port}"]\nheader = "x-dev-user: bench"`);
    results["filter, matching (host app)"] = await load("bench");
    results["filter, not matching (agent → pods)"] = await load("");
    const out = {
      date: new Date().toISOString(),
      requests: REQUESTS,
      concurrency: CONCURRENCY,
      results,
      loadavg: loadavg()
        .map((l) => l.toFixed(2))
        .join(" "),
    };
    mkdirSync(join(root, "bench/results"), { recursive: true });
    writeFileSync(join(root, "bench/results/incoming-kube-latest.json"), `${JSON.stringify(out, null, 2)}\n`);
    const f = (n: number) => n.toFixed(1);
    console.log(`| path (${REQUESTS} GETs, ${CONCURRENCY} kept-alive connections) | requests/s | p50 ms | p99 ms | failed | answered by the host |
|---|---|---|---|---|---|
${Object.entries(results)
  .map(([k, m]) => `| ${k} | ${Math.round(m.rps)} | ${f(m.p50)} | ${f(m.p99)} | ${m.failed} | ${m.fromHost} |`)
  .join("\n")}
| load average at the end | ${out.loadavg} | | | | |`);
  } finally {
    for (const p of sessions) spawnSync(kfwd, ["down", p], { env, timeout: 60_000 });
    host.stop(true);
    await fixture.admin.delete(apiPath({ resource: "pods", namespace: lab.namespace, name: client }), {
      ignoreNotFound: true,
    });
    await fixture.remove();
    rmSync(STATE, { recursive: true, force: true });
  }
}

await main();
