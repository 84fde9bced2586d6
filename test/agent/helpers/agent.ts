/** Starts the real agent as a child process through the bootstrap loader, as the local target does. */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer, type AddressInfo, type Server } from "node:net";
import { agentArgv, agentPayload } from "../../../src/launch/bootstrap";
import { stdioTransport } from "../../../src/transport/stdio";
import { Mux } from "../../../wire/mux";

export interface AgentProcess {
  mux: Mux;
  child: ChildProcess;
  exitCode: Promise<number | null>;
  stderr: () => string;
}

export function startAgent(env: Record<string, string> = {}): AgentProcess {
  const argv = agentArgv(process.execPath);
  if (process.env.KFWD_AGENT_PROF) argv.splice(1, 0, "--cpu-prof", `--cpu-prof-dir=${process.env.KFWD_AGENT_PROF}`);
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, ...env } });
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exitCode = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const transport = stdioTransport(child);
  transport.write(agentPayload());
  const mux = new Mux(transport, { role: "client" });
  return { mux, child, exitCode, stderr: () => stderr };
}

export async function echoServer(): Promise<{ server: Server; port: number }> {
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    socket.on("error", () => {});
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as AddressInfo).port };
}
