/**
 * [files] on the lab, in one run so the numbers compare (ephemeral agent, the restricted user, dist/kfwd):
 *   (a) the first copy of one 100 MiB file vs the tunnel's own download rate — the same 100 MiB file served by
 *       the target pod and fetched with curl through kfwd's proxy in the same session — interleaved, `--reps`;
 *   (b) the first copy of a tree of 2,000 small files;
 *   (c) a ConfigMap update: when the kubelet makes it visible in the pod (an exec polling the file every
 *       20 ms) and when it appears in the host copy (polled every 20 ms); the difference is kfwd's delay.
 * Copy times come from the session itself (`kfwd status --json`: capabilities.files.firstCopy).
 * Usage: npm run bench:files [-- --reps N]. Prints a markdown table, writes bench/results/files-kube-latest.json.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIG_MIB, createFilesApp, TREE_FILES } from "../test/capabilities/files/helpers/files-app";
import { findLab, profile } from "./kube-lab";
import { type Summary, summarize } from "./kube-measure";

const root = join(import.meta.dir, "..");
const kfwd = join(root, "dist/kfwd");
const at = process.argv.indexOf("--reps");
const REPS = at > 0 ? Number(process.argv[at + 1]) : 3;
const lab = findLab();
const app = `kfwd-bench-files-${Date.now().toString(36)}`;
// A state directory of its own, so no other kfwd on this machine touches these sessions.
const STATE = mkdtempSync(join(tmpdir(), "kfwd-bench-files-"));
const env = { ...process.env, XDG_RUNTIME_DIR: STATE };

function kfwdOk(args: string[]): string {
  const r = spawnSync(kfwd, args, { encoding: "utf8", timeout: 300_000, env });
  if (r.status !== 0) throw new Error(`kfwd ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

const filesProfile = (files: string) =>
  profile(lab, `[target]\nworkload = "deployment/${app}"\n[agent]\nplacement = "ephemeral"\n[files]\n${files}`);

/** `kfwd up`, then the session's own account of its first copy. */
function firstCopy(p: string): { ms: number; bytes: number; files: number; root: string } {
  kfwdOk(["up", p]);
  const sessions = JSON.parse(kfwdOk(["status", "--json"])) as Array<{
    profile: string;
    capabilities: { files?: { root: string; firstCopy?: { ms: number; bytes: number; files: number } } };
  }>;
  const files = sessions.find((s) => s.profile === p)?.capabilities.files;
  if (!files?.firstCopy) throw new Error(`no first copy reported: ${JSON.stringify(sessions)}`);
  return { ...files.firstCopy, root: files.root };
}

const mbps = (bytes: number, ms: number) => bytes / ms / 1000;

async function main(): Promise<void> {
  const fixture = await createFilesApp(lab, app);
  try {
    const big = filesProfile(`paths = ["/data/big.bin"]`);
    const copyRates: number[] = [];
    const downloadRates: number[] = [];
    for (let i = 0; i < REPS; i++) {
      const c = firstCopy(big);
      if (c.bytes !== BIG_MIB << 20) throw new Error(`copied ${c.bytes} bytes`);
      copyRates.push(mbps(c.bytes, c.ms));
      const out = kfwdOk([
        "run",
        big,
        "--",
        "curl",
        "-sS",
        "--fail",
        "-o",
        "/dev/null",
        "-w",
        "%{size_download} %{time_total}",
        `http://${app}.${lab.namespace}.svc.cluster.local:8080/`,
      ]);
      const [size = "0", total = "0"] = out.trim().split(" ");
      if (Number(size) !== BIG_MIB << 20) throw new Error(`downloaded ${size} bytes`);
      downloadRates.push(Number(size) / Number(total) / 1e6);
      kfwdOk(["down", big]);
      console.error(
        `rep ${i + 1}: copy ${copyRates.at(-1)?.toFixed(1)} MB/s, download ${downloadRates.at(-1)?.toFixed(1)} MB/s`,
      );
    }
    const tree = filesProfile(`paths = ["/data/tree"]`);
    const treeMs: number[] = [];
    for (let i = 0; i < REPS; i++) {
      const c = firstCopy(tree);
      if (c.files !== TREE_FILES) throw new Error(`copied ${c.files} files`);
      treeMs.push(c.ms);
      kfwdOk(["down", tree]);
    }
    const config = filesProfile(`mounts = ["/etc/config"]`);
    const { root: copyRoot } = firstCopy(config);
    const update = await configUpdate(fixture, join(copyRoot, "etc/config/app.yaml"));
    kfwdOk(["down", config]);

    const copy = summarize(copyRates);
    const download = summarize(downloadRates);
    const results = {
      date: new Date().toISOString(),
      reps: REPS,
      bigFile: { mib: BIG_MIB, copyMBps: copy, tunnelDownloadMBps: download, ratio: copy.median / download.median },
      tree: { files: TREE_FILES, ms: summarize(treeMs) },
      configUpdate: update,
      loadavg: readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" "),
    };
    mkdirSync(join(root, "bench/results"), { recursive: true });
    writeFileSync(join(root, "bench/results/files-kube-latest.json"), `${JSON.stringify(results, null, 2)}\n`);
    const f = (s: Summary, d = 1) => `${s.median.toFixed(d)} (${s.min.toFixed(d)}–${s.max.toFixed(d)})`;
    console.log(`| measure, median (min–max) of ${REPS} | result | goal |
|---|---|---|
| first copy of a ${BIG_MIB} MiB file | ${f(copy)} MB/s | |
| the tunnel's download of the same file (curl through kfwd) | ${f(download)} MB/s | |
| ratio | ${results.bigFile.ratio.toFixed(2)} | ≥ 0.5 |
| first copy of ${TREE_FILES} small files | ${f(summarize(treeMs), 0)} ms | |
| ConfigMap update: in the pod (kubelet) / on the host, after the patch | ${(update.podMs / 1000).toFixed(2)} s / ${(update.hostMs / 1000).toFixed(2)} s | |
| delay beyond the kubelet's | ${(update.beyondMs / 1000).toFixed(2)} s | ≤ 2 s |
| load average at the end | ${results.loadavg} | |`);
  } finally {
    await fixture.remove();
    rmSync(STATE, { recursive: true, force: true });
  }
}

async function configUpdate(
  fixture: Awaited<ReturnType<typeof createFilesApp>>,
  hostFile: string,
): Promise<{ podMs: number; hostMs: number; beyondMs: number }> {
  const next = `greeting: bench ${Date.now()}\n`;
  const inPod = fixture.exec(
    `const fs=require("fs");const want=${JSON.stringify(next)};const t0=Date.now();` +
      `const i=setInterval(()=>{let s="";try{s=fs.readFileSync("/etc/config/app.yaml","utf8")}catch{}` +
      `if(s===want){console.log(Date.now());clearInterval(i)}else if(Date.now()-t0>170000){console.log("timeout");clearInterval(i)}},20);`,
  );
  await Bun.sleep(1000);
  const patchedAt = Date.now();
  await fixture.setConfig(next);
  let hostAt = 0;
  while (!hostAt && Date.now() - patchedAt < 180_000) {
    try {
      if (readFileSync(hostFile, "utf8") === next) hostAt = Date.now();
    } catch {
      // mid-rename: look again
    }
    await Bun.sleep(20);
  }
  const podAt = Number((await inPod).trim());
  if (!hostAt || !podAt) throw new Error(`the update did not arrive (pod ${podAt}, host ${hostAt})`);
  return { podMs: podAt - patchedAt, hostMs: hostAt - patchedAt, beyondMs: hostAt - podAt };
}

await main();
