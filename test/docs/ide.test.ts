/**
 * docs/ide.md's recipes, run as the IDE or Docker would run them: the blocks are read from the document, the
 * workspace holds a local-target profile (inside a network namespace "cluster" when root), the task and tool
 * commands run in a shell with the compiled kfwd first on PATH, the env files they write are read back
 * (python-dotenv, which the EnvFile plugin's and VS Code's dotenv dialect agree with for these values; Docker's
 * literal env-file rules), and the launch configuration's command line runs a Node app that a debugger then
 * attaches to through the inspector and reads the pod's env from.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { HAS_PYTHON_DOTENV, pythonDotenv, strictDotenv } from "../helpers/env-readers";
import { canMakeNetns, type FakeCluster, NAMES, startFakeCluster } from "../helpers/fake-cluster";
import { KFWD } from "../helpers/kfwd";

const doc = readFileSync(join(import.meta.dir, "../../docs/ide.md"), "utf8");
/** The fenced block after `<!-- recipe: name -->`. */
function recipe(name: string): string {
  const m = new RegExp(`<!-- recipe: ${name} -->\\n\`\`\`\\w*\\n([\\s\\S]*?)\`\`\``).exec(doc);
  if (!m?.[1]) throw new Error(`docs/ide.md has no recipe "${name}"`);
  return m[1];
}

const GREETING = "hello from the profile";
let workspace: string;
let bin: string;
let cluster: FakeCluster | undefined;

beforeAll(async () => {
  if (canMakeNetns()) cluster = await startFakeCluster();
  workspace = mkdtempSync(join(tmpdir(), "kfwd-ide-"));
  for (const d of [".vscode", ".idea"]) mkdirSync(join(workspace, d));
  writeFileSync(
    join(workspace, "shop.toml"),
    `[target]\nlocal = true\n${cluster ? `netns = "${cluster.netns}"\n` : ""}[env]\nset = { GREETING = "${GREETING}" }\n`,
  );
  writeFileSync(join(workspace, "server.js"), "console.log(`GREETING=${process.env.GREETING}`);\n");
  // `kfwd` on PATH is the binary under test, as an installed kfwd would be.
  bin = mkdtempSync(join(tmpdir(), "kfwd-ide-bin-"));
  symlinkSync(KFWD, join(bin, "kfwd"));
}, 60_000);

afterAll(async () => {
  await shell("kfwd down shop.toml");
  await cluster?.stop();
});

const env = () => ({ ...process.env, PATH: `${bin}:${process.env.PATH}` });
/** Asynchronous: a blocked event loop would stall whatever this process serves (the fake cluster's pipes). */
async function shell(command: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const p = Bun.spawn(["sh", "-c", command], { cwd: workspace, env: env(), stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  return { code, stdout, stderr };
}
const expand = (s: string) => s.replaceAll("${workspaceFolder}", workspace);
const readDotenv = (text: string) => (HAS_PYTHON_DOTENV ? pythonDotenv(text) : strictDotenv(text));

/** The proxy in an env file reaches the "cluster" (with a network namespace), as the IDE's program would. */
async function reachesCluster(vars: Record<string, string>): Promise<void> {
  if (!cluster) return;
  const curl = ["curl", "-sS", "--max-time", "20", "--proxy", vars.HTTP_PROXY ?? "", `http://${NAMES.web}:8080/hello`];
  const p = Bun.spawn(curl, { stdout: "pipe" });
  expect(await new Response(p.stdout).text()).toStartWith("hello from the cluster");
}

test("VS Code: the task writes the envFile the launch configuration reads", async () => {
  const task = (JSON.parse(recipe("vscode-tasks")) as { tasks: { label: string; command: string }[] }).tasks[0]!;
  const launch = (JSON.parse(recipe("vscode-envfile")) as { configurations: Record<string, string>[] })
    .configurations[0]!;
  expect(launch.preLaunchTask).toBe(task.label);
  const r = await shell(task.command);
  expect(r.code).toBe(0);
  const vars = readDotenv(readFileSync(expand(launch.envFile ?? ""), "utf8"));
  expect(vars.GREETING).toBe(GREETING);
  expect(vars.ALL_PROXY).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  await reachesCluster(vars);
  // What the launch configuration then starts: the program with that env.
  const run = Bun.spawn(["node", expand(launch.program ?? "")], { env: { ...process.env, ...vars }, stdout: "pipe" });
  expect(await new Response(run.stdout).text()).toBe(`GREETING=${GREETING}\n`);
}, 60_000);

test("JetBrains EnvFile: the external tool's command writes the .env file the plugin reads", async () => {
  const command = recipe("jetbrains-tool").trim();
  expect((await shell(command)).code).toBe(0);
  const vars = readDotenv(readFileSync(join(workspace, ".idea/kfwd.env"), "utf8"));
  expect(vars.GREETING).toBe(GREETING);
  expect(vars.KFWD_HTTP).toMatch(/^127\.0\.0\.1:\d+$/);
  await reachesCluster(vars);
}, 60_000);

/** `docker run --env-file`: each line NAME=value taken literally (docker/cli opts/envfile.go). */
function dockerEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split("\n")) {
    const line = raw.trimStart();
    if (line === "" || line.startsWith("#")) continue;
    const at = line.indexOf("=");
    if (at > 0) out[line.slice(0, at)] = line.slice(at + 1);
  }
  return out;
}

test("docker run --env-file: the recipe's env file gives Docker the values, proxies included", async () => {
  const [write, dockerRun] = recipe("docker").trim().split("\n");
  expect(dockerRun).toContain("--env-file kfwd.env");
  expect((await shell(write ?? "")).code).toBe(0);
  const vars = dockerEnvFile(readFileSync(join(workspace, "kfwd.env"), "utf8"));
  // The profile's greeting needs quotes (spaces), so Docker keeps them; plain values arrive as they are.
  expect(vars.GREETING).toBe(`"${GREETING}"`);
  expect(vars.HTTP_PROXY).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  await reachesCluster(vars);
}, 60_000);

test("VS Code: a debugger attaches to the Node app the launch configuration starts under kfwd run", async () => {
  const config = (JSON.parse(recipe("vscode-launch")) as { configurations: Record<string, unknown>[] })
    .configurations[0]!;
  expect(config.runtimeExecutable).toBe("kfwd");
  const argv = [join(bin, "kfwd"), ...(config.runtimeArgs as string[]).map(expand), expand(config.program as string)];
  // The debugger's part: it hands node its options through NODE_OPTIONS (VS Code's js-debug does the same).
  const child = Bun.spawn(argv, {
    cwd: workspace,
    env: { ...env(), NODE_OPTIONS: "--inspect-brk=127.0.0.1:0" },
    stdout: "pipe",
    stderr: "pipe",
  });
  const stderr = child.stderr.getReader();
  let seen = "";
  let url: string | undefined;
  while (!url) {
    const { value, done } = await stderr.read();
    if (done) throw new Error(`no inspector: ${seen}`);
    seen += new TextDecoder().decode(value);
    url = /Debugger listening on (ws:\/\/\S+)/.exec(seen)?.[1];
  }
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  const replies = new Map<number, (v: unknown) => void>();
  let paused: (frame: string) => void = () => {};
  const pausedAt = new Promise<string>((resolve) => (paused = resolve));
  ws.onmessage = (e) => {
    const msg = JSON.parse(String(e.data)) as {
      id?: number;
      method?: string;
      result?: unknown;
      params?: { callFrames?: { callFrameId: string }[] };
    };
    if (msg.id !== undefined) replies.get(msg.id)?.(msg.result);
    if (msg.method === "Debugger.paused") paused(msg.params?.callFrames?.[0]?.callFrameId ?? "");
  };
  let id = 0;
  const call = (method: string, params: object = {}) =>
    new Promise<unknown>((resolve) => {
      replies.set(++id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    });
  // As a debugger does: enable, let the program start, and it stops on its first line.
  await call("Debugger.enable");
  await call("Runtime.runIfWaitingForDebugger");
  const callFrameId = await pausedAt;
  const evaluated = (await call("Debugger.evaluateOnCallFrame", {
    callFrameId,
    expression: "process.env.GREETING",
  })) as {
    result: { value?: string };
  };
  expect(evaluated.result.value).toBe(GREETING);
  await call("Debugger.resume");
  ws.close();
  expect(await new Response(child.stdout).text()).toBe(`GREETING=${GREETING}\n`);
  expect(await child.exited).toBe(0);
}, 60_000);

test("every recipe in docs/ide.md is exercised here", () => {
  const names = [...doc.matchAll(/<!-- recipe: ([\w-]+) -->/g)].map((m) => m[1]);
  expect(names.sort()).toEqual(["docker", "jetbrains-tool", "vscode-envfile", "vscode-launch", "vscode-tasks"]);
  expect(dirname(KFWD)).toEndWith("dist");
});
