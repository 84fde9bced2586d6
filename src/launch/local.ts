import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { KfwdError } from "../errors";
import { LineSplitter } from "../text/lines";
import { agentArgv, agentPayload } from "./bootstrap";
import { hostBun } from "./host-bun";
import { stdioTransport } from "../transport/stdio";
import type { AgentConnection, AgentLauncher } from "./types";

export interface LocalTargetOptions {
  /** Run the agent inside this network namespace (`ip netns`), which plays "the cluster network". */
  netns?: string | undefined;
  idleTimeoutMs: number;
  /** The agent's log lines (its stderr). */
  onAgentLog: (line: string) => void;
}

/** A target with no cluster: the agent is a child process on this machine, optionally in a network namespace. */
export function localLauncher(options: LocalTargetOptions): AgentLauncher {
  const label = options.netns ? `local agent in netns "${options.netns}"` : "local agent";
  const running = new Set<ChildProcess>();
  return {
    label,
    async connect(progress) {
      checkNetns(options.netns);
      progress(`Starting ${label}`);
      const child = spawnAgent(options);
      running.add(child);
      child.once("exit", () => running.delete(child));
      pipeLines(child, options.onAgentLog);
      const transport = stdioTransport(child);
      transport.write(agentPayload());
      const spawned = await spawnedOrError(child, options.netns);
      return {
        transport,
        kind: "stdio",
        description: `${label}, pid ${spawned}`,
        close: () => stopChild(child),
      } satisfies AgentConnection;
    },
    async dispose() {
      await Promise.all([...running].map(stopChild));
    },
  };
}

function spawnAgent(options: LocalTargetOptions): ChildProcess {
  const bun = hostBun();
  const argv = agentArgv(bun.path);
  const command = options.netns ? ["ip", "netns", "exec", options.netns, ...argv] : argv;
  return spawn(command[0] as string, command.slice(1), {
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, ...bun.env, KFWD_AGENT_IDLE_TIMEOUT: String(options.idleTimeoutMs) },
  });
}

function checkNetns(netns: string | undefined): void {
  if (netns === undefined) return;
  if (!existsSync(`/run/netns/${netns}`)) {
    throw new KfwdError(
      "KFWD_NETNS_NOT_FOUND",
      `Cannot start the local agent in network namespace "${netns}": it does not exist`,
      `Create it with "sudo ip netns add ${netns}", or remove target.netns from the profile.`,
    );
  }
  if (process.getuid?.() !== 0) {
    throw new KfwdError(
      "KFWD_NETNS_NEEDS_ROOT",
      `Cannot enter network namespace "${netns}": "ip netns exec" needs root`,
      "Run this demo as root, or remove target.netns from the profile (kfwd itself never needs root).",
    );
  }
}

function spawnedOrError(child: ChildProcess, netns: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    child.once("spawn", () => resolve(child.pid ?? 0));
    child.once("error", (error) =>
      reject(
        new KfwdError(
          "KFWD_AGENT_START_FAILED",
          `Cannot start the local agent: ${error.message}`,
          netns ? 'Is "ip" (iproute2) installed?' : undefined,
          { cause: error },
        ),
      ),
    );
  });
}

function pipeLines(child: ChildProcess, onLine: (line: string) => void): void {
  const lines = new LineSplitter();
  child.stderr?.on("data", (chunk: Buffer) => {
    for (const line of lines.push(chunk)) if (line) onLine(line);
  });
  child.stderr?.once("end", () => {
    const last = lines.flush();
    if (last) onLine(last);
  });
}

/** Close stdin (the agent exits when its input ends); escalate if it does not. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.stdin?.end();
  const escalate = setTimeout(() => child.kill("SIGTERM"), 2000);
  const force = setTimeout(() => child.kill("SIGKILL"), 4000);
  await exited;
  clearTimeout(escalate);
  clearTimeout(force);
}
