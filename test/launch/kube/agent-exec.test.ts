/** execAgent: exec into a container that is still starting — retry "container not found", stop on a start failure. */
import { describe, expect, test } from "bun:test";
import { KfwdError } from "../../../src/errors";
import { ExecExitError, type ExecTransport } from "../../../src/kube/index";
import { execAgent } from "../../../src/launch/kube/agent-exec";
import type { AgentHome } from "../../../src/launch/kube/home";

const notFound = () =>
  new ExecExitError(
    {
      success: false,
      exitCode: undefined,
      reason: "InternalError",
      message: 'Internal error occurred: unable to upgrade connection: container not found ("kfwd-agent-1")',
    },
    "agent",
  );

function fake(outcome: "output" | Error): ExecTransport & { closed: boolean } {
  const firstOutput = outcome === "output" ? Promise.resolve() : Promise.reject(outcome);
  firstOutput.catch(() => {});
  const t = { closed: false, firstOutput, close: () => void (t.closed = true) };
  return t as unknown as ExecTransport & { closed: boolean };
}

function home(done: Promise<unknown> | undefined): AgentHome & { stopped: boolean } {
  const h = {
    pod: "p",
    container: "c",
    description: "d",
    alive: async () => true,
    remove: async () => {},
    stopped: false,
  } as AgentHome & { stopped: boolean };
  if (done) h.starting = { done, stop: () => void (h.stopped = true) };
  return h;
}

describe("execAgent", () => {
  test("retries while the kubelet has no such container yet, then stops the start watch", async () => {
    const h = home(new Promise(() => {}));
    const outcomes: ("output" | Error)[] = [notFound(), notFound(), "output"];
    let opened = 0;
    const last = fake("output");
    const t = await execAgent(h, async () => (opened++ < 2 ? fake(outcomes[opened - 1] as Error) : last));
    expect(t).toBe(last);
    expect(opened).toBe(3);
    expect(last.closed).toBe(false);
    expect(h.stopped).toBe(true);
    expect(h.starting).toBeUndefined();
  });

  test("retries an exec stream that closed without a status while the container is created but not started", async () => {
    // Between the runtime creating the container and starting it, the API server drops the exec connection
    // without a close frame or status (WebSocket 1006); seen reliably with 20 ms to the API server.
    const h = home(new Promise(() => {}));
    const dropped = new KfwdError("KFWD_EXEC_STREAM_CLOSED", "closed before the command's exit status arrived");
    let opened = 0;
    const last = fake("output");
    const t = await execAgent(h, async () => (opened++ < 2 ? fake(dropped) : last));
    expect(t).toBe(last);
    expect(opened).toBe(3);
  });

  test("a failure of the container's start (image pull) ends the attempts with that error", async () => {
    const pull = new KfwdError("KFWD_AGENT_IMAGE_PULL", "cannot pull");
    const h = home(Promise.reject(pull));
    await expect(execAgent(h, async () => fake(notFound()))).rejects.toBe(pull);
  });

  test("any other failure hands back the closed transport (the tunnel reports it as for a running agent)", async () => {
    const h = home(new Promise(() => {}));
    let opened = 0;
    const exit = new ExecExitError({ success: false, exitCode: 3 }, "agent");
    const t = await execAgent(h, async () => (opened++, fake(exit)));
    expect(opened).toBe(1);
    await expect(t.firstOutput).rejects.toBe(exit);
  });

  test("once the kubelet reports the container running, only a few more tries", async () => {
    const h = home(Promise.resolve());
    let opened = 0;
    await execAgent(h, async () => (opened++, fake(notFound())));
    expect(opened).toBe(6);
  });

  test("a reused container is exec'd once, without waiting for output", async () => {
    let opened = 0;
    await execAgent(home(undefined), async () => (opened++, fake(notFound())));
    expect(opened).toBe(1);
  });
});
