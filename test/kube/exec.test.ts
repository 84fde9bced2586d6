import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { KfwdError } from "../../src/errors";
import { KubeClient } from "../../src/kube/client";
import { ExecExitError, type ExecTransport, execTransport } from "../../src/kube/exec";
import { parseExecStatus } from "../../src/kube/exec-protocol";
import { type FakeApiServer, startFakeApiServer } from "./helpers/fake-apiserver";
import { hasOpenssl, makePki } from "./helpers/pki";
import { pumpThrough } from "./helpers/pump";

describe("exec protocol pieces", () => {
  test("status: Success, NonZeroExitCode with its code, other failures", () => {
    const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));
    expect(parseExecStatus(enc({ metadata: {}, status: "Success" }))).toEqual({ success: true, exitCode: 0 });
    expect(
      parseExecStatus(
        enc({
          status: "Failure",
          reason: "NonZeroExitCode",
          message: "m",
          details: { causes: [{ reason: "ExitCode", message: "137" }] },
        }),
      ),
    ).toEqual({ success: false, exitCode: 137, reason: "NonZeroExitCode", message: "m" });
    expect(
      parseExecStatus(enc({ status: "Failure", reason: "InternalError", message: "container not found" })).exitCode,
    ).toBeUndefined();
    expect(parseExecStatus(new TextEncoder().encode("plain text error"))).toMatchObject({
      success: false,
      message: "plain text error",
    });
  });
});

describe.skipIf(!hasOpenssl)("exec transport against a local WebSocket API server", () => {
  let fake: FakeApiServer;
  let client: KubeClient;
  beforeAll(async () => {
    fake = startFakeApiServer(makePki());
    client = await KubeClient.fromKubeconfig({ kubeconfig: fake.kubeconfig });
  });
  afterAll(() => fake?.stop());

  test("v5: 10 MiB through stdin and back with backpressure, half-close, clean exit", async () => {
    const t = await execTransport(client, { pod: "p", command: ["cat"], highWaterMark: 256 * 1024 });
    expect(t.protocol).toBe("v5.channel.k8s.io");
    const r = await pumpThrough(t, 10 * 1024 * 1024);
    expect(r.echoedOk).toBe(true);
    expect(r.writesRefused).toBeGreaterThan(0);
    expect(r.drains).toBe(r.writesRefused);
    expect(r.closeError).toBeUndefined();
    expect(t.exitStatus).toEqual({ success: true, exitCode: 0 });
    expect(fake.requests.at(-1)?.path).toContain("command=cat&stdin=true&stdout=true&stderr=true");
  });

  test("v4 when only v4 is offered: no half-close, close() ends the stream without an error", async () => {
    const t = await execTransport(client, { pod: "p", command: ["cat"], protocols: ["v4.channel.k8s.io"] });
    expect(t.protocol).toBe("v4.channel.k8s.io");
    expect(t.closeStdin()).toBe(false);
    const got = new Promise<string>((resolve) => t.onData((d) => resolve(new TextDecoder().decode(d))));
    t.write(new TextEncoder().encode("hello"));
    expect(await got).toBe("hello");
    const closed = new Promise<Error | undefined>((resolve) => t.onClose(resolve));
    t.close();
    expect(await closed).toBeUndefined();
  });

  test("stderr lines go to onStderr; a non-zero exit is an ExecExitError with the code", async () => {
    const lines: string[] = [];
    const t: ExecTransport = await execTransport(client, {
      pod: "p",
      command: ["fail"],
      onStderr: (l) => lines.push(l),
    });
    const err = await new Promise<Error | undefined>((resolve) => t.onClose(resolve));
    expect(lines).toEqual(["boom 1", "boom 2", "partial"]);
    expect(err).toBeInstanceOf(ExecExitError);
    expect((err as ExecExitError).commandExitCode).toBe(3);
    expect((err as ExecExitError).code).toBe("KFWD_EXEC_EXIT");
    // onClose registered after the end still fires.
    expect(await new Promise<Error | undefined>((resolve) => t.onClose(resolve))).toBe(err);
  });

  test("exit 0 without stdin: onClose without error", async () => {
    const t = await execTransport(client, { pod: "p", command: ["exit0"], stdin: false });
    expect(await new Promise<Error | undefined>((resolve) => t.onClose(resolve))).toBeUndefined();
    expect(t.exitStatus?.success).toBe(true);
  });

  test("WebSocket pings measure the round trip", async () => {
    const t = await execTransport(client, { pod: "p", command: ["cat"], pingIntervalMs: 50 });
    await Bun.sleep(200);
    expect(t.pingRttMs).toBeGreaterThanOrEqual(0);
    t.close();
  });

  test("a refused upgrade is explained with the API server's RBAC answer", async () => {
    let e: unknown;
    try {
      await execTransport(client, { namespace: "locked", pod: "p", command: ["cat"] });
    } catch (err) {
      e = err;
    }
    expect(e).toBeInstanceOf(KfwdError);
    expect((e as KfwdError).code).toBe("KFWD_RBAC_FORBIDDEN");
    expect((e as KfwdError).message).toContain("pods/exec");
    expect((e as KfwdError).hint).toContain('resources: ["pods/exec"]');
  });
});
