/**
 * kfwd on the lab cluster, against the baseline users already have, in one run so the numbers compare:
 *   (a) HTTP download throughput from a testapp pod: through a kfwd forward (exec tunnel to an agent pod)
 *       vs `kubectl port-forward` to the same pod, interleaved, same curl;
 *   (b) `kfwd run` until the child starts: a fresh agent each time (image present), as an agent pod (Job)
 *       and as an ephemeral container, and with a reused agent (a running `kfwd up` session).
 * Uses the compiled dist/kfwd as the restricted user. Usage: npm run bench:kube [-- --bytes N --reps N]
 * Prints a markdown table and writes bench/results/kube-latest.json.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { findLab, profile, startBunPod, startTestapp, stopTestapp, type Lab } from "./kube-lab";
import {
  curlMBps,
  execMBps,
  freePort,
  portForward,
  stdoutWriter,
  summarize,
  timeToChild,
  type Summary,
} from "./kube-measure";

const root = join(import.meta.dir, "..");
const kfwd = join(root, "dist/kfwd");
const arg = (name: string, fallback: number) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const BYTES = arg("bytes", 64 << 20);
const DOWNLOADS = arg("downloads", 5);
const REPS = arg("reps", 15);
const WARM_REPS = arg("warm-reps", 40);
const CHILD = ["date", "+%s%N"];
/** `--only throughput` or `--only startup` runs half of the suite (the other half's rows show as skipped). */
const ONLY = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : undefined;
if (ONLY !== undefined && ONLY !== "throughput" && ONLY !== "startup")
  throw new Error(`--only throughput|startup, not ${ONLY}`);

const lab: Lab = findLab(root);
const app = `kfwd-bench-${Date.now().toString(36)}`;

function kfwdOk(args: string[]): string {
  const r = spawnSync(kfwd, args, { encoding: "utf8", timeout: 120_000 });
  if (r.status !== 0) throw new Error(`kfwd ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

async function throughput(): Promise<{ kfwd: Summary; portForward: Summary; portForwardSpdy: Summary; exec: Summary }> {
  const ports = { kfwd: await freePort(), ws: await freePort(), spdy: await freePort() };
  const p = profile(lab, `[[forward]]\nlocal = ${ports.kfwd}\nremote = "${app}:8080"`);
  kfwdOk(["up", p]);
  const pfArgs = (port: number) => [
    lab.kubectl,
    "--kubeconfig",
    lab.restricted,
    "-n",
    lab.namespace,
    "port-forward",
    `pod/${app}`,
    `${port}:8080`,
  ];
  // kubectl 1.31+ tunnels port-forward over WebSocket; the SPDY path is what older kubectl versions use.
  const pfs = [
    await portForward(pfArgs(ports.ws)),
    await portForward(pfArgs(ports.spdy), { KUBECTL_PORT_FORWARD_WEBSOCKETS: "false" }),
  ];
  const got = { kfwd: [] as number[], ws: [] as number[], spdy: [] as number[], exec: [] as number[] };
  const execArgv = [
    lab.kubectl,
    "--kubeconfig",
    lab.restricted,
    "-n",
    lab.namespace,
    "exec",
    `${app}-exec`,
    "--",
    ...stdoutWriter(BYTES),
  ];
  const keys = ["kfwd", "ws", "spdy"] as const;
  try {
    // One warm-up each, then alternate so drift in the shared node hits all alike.
    for (const k of keys) curlMBps(`http://127.0.0.1:${ports[k]}/bytes/${1 << 20}`, 1 << 20);
    for (let i = 0; i < DOWNLOADS; i++) {
      for (const k of keys) got[k].push(curlMBps(`http://127.0.0.1:${ports[k]}/bytes/${BYTES}`, BYTES));
      got.exec.push(await execMBps(execArgv, BYTES));
      process.stderr.write(
        `download ${i + 1}/${DOWNLOADS}: ${[...keys, "exec" as const].map((k) => `${k} ${got[k].at(-1)?.toFixed(1)} MB/s`).join(", ")}\n`,
      );
    }
  } finally {
    for (const pf of pfs) pf.stop();
    kfwdOk(["down", p]);
  }
  return {
    kfwd: summarize(got.kfwd),
    portForward: summarize(got.ws),
    portForwardSpdy: summarize(got.spdy),
    exec: summarize(got.exec),
  };
}

async function startup(name: string, profilePath: string, reps: number): Promise<{ toChild: Summary; total: Summary }> {
  const toChild: number[] = [];
  const total: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = await timeToChild([kfwd, "run", profilePath, "--", ...CHILD]);
    toChild.push(t.toChildMs);
    total.push(t.totalMs);
  }
  process.stderr.write(`${name}: median ${summarize(toChild).median.toFixed(0)} ms to the child (${reps} runs)\n`);
  return { toChild: summarize(toChild), total: summarize(total) };
}

const ms = (s: Summary) => (s.n === 0 ? "skipped" : `${s.median.toFixed(0)} ms / ${s.p90.toFixed(0)} ms`);
const mbps = (s: Summary) => (s.n === 0 ? "skipped" : `${s.median.toFixed(1)} MB/s (p90 ${s.p90.toFixed(1)})`);

type Startup = Awaited<ReturnType<typeof startup>>;
const skipped: Summary = { n: 0, median: Number.NaN, p90: Number.NaN, min: Number.NaN, max: Number.NaN };
const noStartup: Startup = { toChild: skipped, total: skipped };

startTestapp(lab, app);
if (ONLY !== "startup") startBunPod(lab, `${app}-exec`);
try {
  const podProfile = profile(lab, `[agent]\nplacement = "pod"`);
  const ephemeralProfile = profile(lab, `[target]\npod = "${app}"\n[agent]\nplacement = "ephemeral"`);
  const tp =
    ONLY === "startup"
      ? { kfwd: skipped, portForward: skipped, portForwardSpdy: skipped, exec: skipped }
      : await throughput();
  let pod = noStartup;
  let ephemeral = noStartup;
  let warm = noStartup;
  if (ONLY !== "throughput") {
    pod = await startup("kfwd run, fresh agent pod (Job)", podProfile, REPS);
    ephemeral = await startup("kfwd run, fresh ephemeral container", ephemeralProfile, REPS);
    kfwdOk(["up", podProfile]);
    try {
      warm = await startup("kfwd run, reused agent (kfwd up)", podProfile, WARM_REPS);
    } finally {
      kfwdOk(["down", podProfile]);
    }
  }
  const ratio = tp.kfwd.median / tp.portForward.median;
  const results = {
    date: new Date().toISOString(),
    cluster: kubectlVersion(),
    bytes: BYTES,
    throughput: { ...tp, ratio },
    startup: { agentPod: pod, ephemeral, reused: warm },
  };
  mkdirSync(join(root, "bench/results"), { recursive: true });
  writeFileSync(join(root, "bench/results/kube-latest.json"), `${JSON.stringify(results, null, 2)}\n`);
  const rows = [
    "| on the lab (1 node, 2 cores shared with the control plane) | kfwd | baseline | goal |",
    "|---|---|---|---|",
    `| HTTP download, ${BYTES >> 20} MiB × ${DOWNLOADS}, median (p90) | ${mbps(tp.kfwd)} | kubectl port-forward: ${mbps(tp.portForward)} | ≥ 2× (got ${ratio.toFixed(2)}×) |`,
    `| the same, baseline over SPDY (kubectl before 1.31) | ${mbps(tp.kfwd)} | kubectl port-forward (SPDY): ${mbps(tp.portForwardSpdy)} | ≥ 2× (got ${(tp.kfwd.median / tp.portForwardSpdy.median).toFixed(2)}×) |`,
    `| ceiling of one exec stream: \`kubectl exec\` writing ${BYTES >> 20} MiB to stdout | ${mbps(tp.kfwd)} | kubectl exec: ${mbps(tp.exec)} | — |`,
    `| \`kfwd run\` to the child's start, fresh agent pod (Job), median / p90 of ${REPS} | ${ms(pod.toChild)} | — | ≤ 1.5 s |`,
    `| \`kfwd run\` to the child's start, fresh ephemeral container, median / p90 of ${REPS} | ${ms(ephemeral.toChild)} | — | ≤ 1.5 s |`,
    `| \`kfwd run\` to the child's start, reused agent (\`kfwd up\`), median / p90 of ${WARM_REPS} | ${ms(warm.toChild)} | — | ≤ 0.3 s |`,
  ];
  console.log(rows.join("\n"));
} finally {
  stopTestapp(lab, app);
  if (ONLY !== "startup") stopTestapp(lab, `${app}-exec`);
}

function kubectlVersion(): string {
  const r = spawnSync(lab.kubectl, ["--kubeconfig", lab.admin, "version", "-o", "json"], { encoding: "utf8" });
  try {
    return (JSON.parse(r.stdout) as { serverVersion?: { gitVersion?: string } }).serverVersion?.gitVersion ?? "?";
  } catch {
    return "?";
  }
}
