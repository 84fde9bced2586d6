/**
 * kfwd on the lab cluster against the baseline users already have, at several emulated distances to the API
 * server (bench/kube-link.ts), in one run so the numbers compare. At each round-trip time:
 *   - HTTP download and upload through a kfwd forward vs `kubectl port-forward` (WebSocket and SPDY) to the
 *     same pod, interleaved, same curl; and the exec stream's own rate (`kubectl exec` writing to stdout);
 *   - a small request on a new connection: time to its first response byte;
 *   - `kfwd run` until the child's first successful cluster request, with a fresh agent each time (as an
 *     agent pod (Job) and as an ephemeral container) and with a reused agent (a running `kfwd up`).
 * Uses the compiled dist/kfwd as the restricted user. Usage: npm run bench:kube [-- options, bench/README.md]
 * Prints a markdown table, writes bench/results/kube-latest.json, and with --readme puts the table in README.md.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findLab, profile, SINK_PORT, startBunPod, startTestapp, stopTestapp, type Lab } from "./kube-lab";
import { openLink, type Link } from "./kube-link";
import {
  curlMBps,
  curlUploadMBps,
  execMBps,
  firstResponseMs,
  portForward,
  stdoutWriter,
  summarize,
  timeToChild,
  type Summary,
} from "./kube-measure";
import { freePort } from "../test/helpers/ports";
import { writeReadmeSection } from "./readme";

const root = join(import.meta.dir, "..");
const arg = (name: string, fallback: number) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const listArg = (name: string, fallback: number[]) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? (process.argv[at + 1] ?? "").split(",").map(Number) : fallback;
};
const BYTES = arg("bytes", 64 << 20);
const TRANSFERS = arg("transfers", 3);
const FIRST = arg("first", 9);
const REPS = arg("reps", 7);
const WARM_REPS = arg("warm-reps", 15);
const RTTS = listArg("rtt", [0, 20, 50]);
const README = process.argv.includes("--readme");
/** `--kfwd <path>`: another build (e.g. a copy, so rebuilding dist/ during a run does not change it). */
const kfwd = process.argv.includes("--kfwd")
  ? String(process.argv[process.argv.indexOf("--kfwd") + 1])
  : join(root, "dist/kfwd");
/** `--agent-memory 128Mi`: the transfers' agent gets this `[agent] memory` (its receive budget follows it). */
const AGENT_MEMORY = process.argv.includes("--agent-memory")
  ? String(process.argv[process.argv.indexOf("--agent-memory") + 1])
  : undefined;
/** `--only transfer` or `--only startup` runs part of the suite (the other rows show as skipped). */
const ONLY = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : undefined;
if (ONLY !== undefined && ONLY !== "transfer" && ONLY !== "startup")
  throw new Error(`--only transfer|startup, not ${ONLY}`);

const lab: Lab = findLab();
const app = `kfwd-bench-${Date.now().toString(36)}`;

function kfwdOk(args: string[]): string {
  const r = spawnSync(kfwd, args, { encoding: "utf8", timeout: 120_000 });
  if (r.status !== 0) throw new Error(`kfwd ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

const WAYS = ["kfwd", "ws", "spdy"] as const;
type Way = (typeof WAYS)[number];
type PerWay = Record<Way, Summary>;
interface Transfer {
  download: PerWay;
  upload: PerWay;
  first: PerWay;
  exec: Summary;
}
interface Startup {
  job: Summary;
  ephemeral: Summary;
  reused: Summary;
}

async function transfer(link: Link, upload: string): Promise<Transfer> {
  const ports = {
    kfwd: [await freePort(), await freePort()],
    ws: [await freePort(), await freePort()],
    spdy: [await freePort(), await freePort()],
  };
  const p = profile(
    lab,
    `${AGENT_MEMORY ? `[agent]\nmemory = "${AGENT_MEMORY}"\n\n` : ""}[[forward]]\nlocal = ${ports.kfwd[0]}\nremote = "${app}:8080"\n\n[[forward]]\nlocal = ${ports.kfwd[1]}\nremote = "${app}:${SINK_PORT}"`,
    link.kubeconfig,
  );
  kfwdOk(["up", p]);
  const kubectl = [lab.kubectl, "--kubeconfig", link.kubeconfig, "-n", lab.namespace];
  const pf = (pp: number[]) => [...kubectl, "port-forward", `pod/${app}`, `${pp[0]}:8080`, `${pp[1]}:${SINK_PORT}`];
  // kubectl 1.31+ tunnels port-forward over WebSocket; KUBECTL_PORT_FORWARD_WEBSOCKETS=false (read by kubectl
  // 1.33's feature gate) selects SPDY, what older kubectl versions use.
  const pfs = [
    await portForward(pf(ports.ws)),
    await portForward(pf(ports.spdy), { KUBECTL_PORT_FORWARD_WEBSOCKETS: "false" }),
  ];
  const got = {
    download: { kfwd: [] as number[], ws: [] as number[], spdy: [] as number[] },
    upload: { kfwd: [] as number[], ws: [] as number[], spdy: [] as number[] },
    first: { kfwd: [] as number[], ws: [] as number[], spdy: [] as number[] },
    exec: [] as number[],
  };
  const execArgv = [...kubectl, "exec", `${app}-exec`, "--", ...stdoutWriter(BYTES)];
  const base = (w: Way, i: number) => `http://127.0.0.1:${ports[w][i]}`;
  try {
    // One warm-up each, then alternate so drift in the shared node hits all alike.
    for (const w of WAYS) curlMBps(`${base(w, 0)}/bytes/${1 << 20}`, 1 << 20);
    for (let i = 0; i < FIRST; i++) for (const w of WAYS) got.first[w].push(firstResponseMs(`${base(w, 0)}/hello`));
    for (let i = 0; i < TRANSFERS; i++) {
      for (const w of WAYS) got.download[w].push(curlMBps(`${base(w, 0)}/bytes/${BYTES}`, BYTES));
      for (const w of WAYS) got.upload[w].push(curlUploadMBps(`${base(w, 1)}/`, upload, BYTES));
      got.exec.push(await execMBps(execArgv, BYTES));
      const show = (k: "download" | "upload") => WAYS.map((w) => `${w} ${got[k][w].at(-1)?.toFixed(1)}`).join(" ");
      process.stderr.write(
        `RTT ${link.rttMs} ms, ${i + 1}/${TRANSFERS}: down ${show("download")}, up ${show("upload")}, exec ${got.exec.at(-1)?.toFixed(1)} MB/s\n`,
      );
    }
  } finally {
    for (const f of pfs) f.stop();
    kfwdOk(["down", p]);
  }
  const per = (k: "download" | "upload" | "first"): PerWay => ({
    kfwd: summarize(got[k].kfwd),
    ws: summarize(got[k].ws),
    spdy: summarize(got[k].spdy),
  });
  return { download: per("download"), upload: per("upload"), first: per("first"), exec: summarize(got.exec) };
}

/** ms from spawning `kfwd run` to the child's first successful request to a cluster Service. */
async function timeToRequest(name: string, profilePath: string, reps: number): Promise<Summary> {
  const child = ["sh", "-c", `curl -sSf -o /dev/null http://${app}:8080/hello && date +%s%N`];
  const times: number[] = [];
  for (let i = 0; i < reps; i++) times.push((await timeToChild([kfwd, "run", profilePath, "--", ...child])).toChildMs);
  const s = summarize(times);
  process.stderr.write(`${name}: median ${s.median.toFixed(0)} ms (${reps} runs)\n`);
  return s;
}

async function startup(link: Link): Promise<Startup> {
  const at = `RTT ${link.rttMs} ms`;
  const podProfile = profile(lab, `[agent]\nplacement = "pod"`, link.kubeconfig);
  const ephemeralProfile = profile(lab, `[target]\npod = "${app}"\n[agent]\nplacement = "ephemeral"`, link.kubeconfig);
  const job = await timeToRequest(`${at}, fresh agent pod (Job)`, podProfile, REPS);
  const ephemeral = await timeToRequest(`${at}, fresh ephemeral container`, ephemeralProfile, REPS);
  kfwdOk(["up", podProfile]);
  try {
    return { job, ephemeral, reused: await timeToRequest(`${at}, reused agent`, podProfile, WARM_REPS) };
  } finally {
    kfwdOk(["down", podProfile]);
  }
}

// ---- run ---------------------------------------------------------------------------------------------------

const uploadFile = join(mkdtempSync(join(tmpdir(), "kfwd-bench-upload-")), "upload.bin");
if (ONLY !== "startup") writeFileSync(uploadFile, Buffer.alloc(BYTES, 0x6b));
startTestapp(lab, app);
if (ONLY !== "startup") startBunPod(lab, `${app}-exec`);
const runs: { rttMs: number; transfer?: Transfer; startup?: Startup }[] = [];
try {
  for (const rtt of RTTS) {
    const link = await openLink(lab.restricted, rtt);
    try {
      runs.push({
        rttMs: rtt,
        ...(ONLY !== "startup" ? { transfer: await transfer(link, uploadFile) } : {}),
        ...(ONLY !== "transfer" ? { startup: await startup(link) } : {}),
      });
    } finally {
      link.stop();
    }
  }
} finally {
  stopTestapp(lab, app);
  if (ONLY !== "startup") stopTestapp(lab, `${app}-exec`);
}

const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const results = { date: new Date().toISOString(), cluster: kubectlVersion(), bytes: BYTES, load, runs };
mkdirSync(join(root, "bench/results"), { recursive: true });
writeFileSync(join(root, "bench/results/kube-latest.json"), `${JSON.stringify(results, null, 2)}\n`);

const num = (s: Summary | undefined, digits: number) => (!s || s.n === 0 ? "–" : s.median.toFixed(digits));
const cell = (s: Summary | undefined, digits: number) =>
  !s || s.n === 0 ? "skipped" : `${s.median.toFixed(digits)} (${s.p90.toFixed(digits)})`;
const row = (label: string, f: (r: (typeof runs)[number]) => string, goal = "") =>
  `| ${label} | ${runs.map(f).join(" | ")} | ${goal} |`;
const ratio = (t: Transfer | undefined, k: "download" | "upload") =>
  t ? (t[k].kfwd.median / Math.max(t[k].ws.median, t[k].spdy.median)).toFixed(2) : "–";
const table = [
  `Measured ${results.date.slice(0, 10)}, Kubernetes ${results.cluster}, \`npm run bench:kube\` (${BYTES >> 20} MiB × ${TRANSFERS}, ${FIRST} small requests, ${REPS} fresh / ${WARM_REPS} reused starts per RTT; load average at the end ${load}); median (p90):`,
  "",
  `| RTT to the API server | ${runs.map((r) => `${r.rttMs} ms`).join(" | ")} | goal |`,
  `|---|${runs.map(() => "---|").join("")}---|`,
  row("download MB/s: kfwd", (r) => cell(r.transfer?.download.kfwd, 1)),
  row("— kubectl port-forward, WebSocket", (r) => cell(r.transfer?.download.ws, 1)),
  row("— kubectl port-forward, SPDY", (r) => cell(r.transfer?.download.spdy, 1)),
  row("— kfwd ÷ the better port-forward", (r) => ratio(r.transfer, "download"), "≥ 1.0"),
  row("— raw `kubectl exec` stdout (the exec stream's own rate)", (r) => cell(r.transfer?.exec, 1)),
  row("upload MB/s: kfwd", (r) => cell(r.transfer?.upload.kfwd, 1)),
  row("— kubectl port-forward, WebSocket", (r) => cell(r.transfer?.upload.ws, 1)),
  row("— kubectl port-forward, SPDY", (r) => cell(r.transfer?.upload.spdy, 1)),
  row("— kfwd ÷ the better port-forward", (r) => ratio(r.transfer, "upload"), "≥ 1.0"),
  row(
    "small request on a new connection, ms to the first byte: kfwd",
    (r) => cell(r.transfer?.first.kfwd, 0),
    "≤ 1 RTT + 10 ms",
  ),
  row(
    "— kubectl port-forward, WebSocket / SPDY",
    (r) => `${num(r.transfer?.first.ws, 0)} / ${num(r.transfer?.first.spdy, 0)}`,
  ),
  row(
    "`kfwd run` to the child's first cluster request, ms: fresh agent pod (Job)",
    (r) => cell(r.startup?.job, 0),
    "≤ 1500 at 20 ms",
  ),
  row("— fresh ephemeral container", (r) => cell(r.startup?.ephemeral, 0), "≤ 1500 at 20 ms"),
  row("— reused agent (`kfwd up`)", (r) => cell(r.startup?.reused, 0), "≤ 200"),
].join("\n");
console.log(table);
if (README) writeReadmeSection(root, "bench-kube", table);

function kubectlVersion(): string {
  const r = spawnSync(lab.kubectl, ["--kubeconfig", lab.admin, "version", "-o", "json"], { encoding: "utf8" });
  try {
    return (JSON.parse(r.stdout) as { serverVersion?: { gitVersion?: string } }).serverVersion?.gitVersion ?? "?";
  } catch {
    return "?";
  }
}
