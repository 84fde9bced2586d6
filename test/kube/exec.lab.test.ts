/** The exec transport through the real lab kube-apiserver and kubelet (skips unless the lab is up). */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { KfwdError } from "../../src/errors";
import { apiPath } from "../../src/kube/api-path";
import { KubeClient } from "../../src/kube/client";
import { ExecExitError, execTransport } from "../../src/kube/exec";
import { requireLabOrSkip } from "../helpers/lab";
import { BUN_CAT, createRunningPod, idlePod } from "../helpers/lab-objects";
import { pumpThrough } from "./helpers/pump";

const lab = requireLabOrSkip();

describe.skipIf(!lab)("exec transport on the lab cluster", () => {
  const ns = lab?.namespace ?? "kfwd-e2e";
  const pod = `kfwd-kube-exec-${process.pid}`;
  let client: KubeClient;

  beforeAll(async () => {
    client = await KubeClient.fromKubeconfig({ kubeconfig: lab!.restricted });
    await createRunningPod(client, ns, idlePod(pod));
  }, 150_000);

  afterAll(async () => {
    await client?.delete(apiPath({ resource: "pods", namespace: ns, name: pod }), {
      ignoreNotFound: true,
      query: { gracePeriodSeconds: 0 },
    });
  });

  test("bun as cat: 10 MiB stdin -> stdout with backpressure on v5, clean exit after half-close", async () => {
    const t = await execTransport(client, { pod, container: "main", command: BUN_CAT });
    expect(t.protocol).toBe("v5.channel.k8s.io");
    const r = await pumpThrough(t, 10 * 1024 * 1024);
    console.log(
      `exec round trip: 10 MiB in ${r.seconds.toFixed(2)} s = ${r.mbPerSecond.toFixed(1)} MB/s; write() refused ${r.writesRefused}x, drained ${r.drains}x`,
    );
    expect(r.echoedOk).toBe(true);
    expect(r.closeError).toBeUndefined();
    expect(t.exitStatus).toEqual({ success: true, exitCode: 0 });
  }, 120_000);

  test("a command that never reads stdin: write() is refused and stays refused (buffering is bounded)", async () => {
    // Exits by itself soon, so it does not linger in the pod after the stream closes.
    const t = await execTransport(client, { pod, command: ["bun", "-e", "setTimeout(() => {}, 30_000)"] });
    let drains = 0;
    t.onDrain(() => drains++);
    const chunk = new Uint8Array(64 * 1024);
    let accepted = 0;
    let firstRefusal = -1;
    const deadline = performance.now() + 20_000;
    let stalled = false;
    while (!stalled && performance.now() < deadline) {
      accepted += chunk.byteLength;
      if (t.write(chunk)) {
        await Bun.sleep(0);
        continue;
      }
      if (firstRefusal < 0) firstRefusal = accepted;
      const before = drains;
      const until = performance.now() + 1500;
      while (drains === before && performance.now() < until) await Bun.sleep(10);
      stalled = drains === before;
    }
    console.log(
      `stdin nobody reads: first write() refusal after ${(firstRefusal / 1048576).toFixed(1)} MiB, stalled after ${(accepted / 1048576).toFixed(1)} MiB (${drains} drains)`,
    );
    expect(stalled).toBe(true);
    expect(accepted).toBeLessThan(128 * 1024 * 1024);
    const closed = new Promise<Error | undefined>((resolve) => t.onClose(resolve));
    t.close();
    expect(await closed).toBeUndefined();
  }, 60_000);

  test("v4 fallback still carries bytes", async () => {
    const t = await execTransport(client, { pod, command: BUN_CAT, protocols: ["v4.channel.k8s.io"] });
    expect(t.protocol).toBe("v4.channel.k8s.io");
    const got = new Promise<string>((resolve) => t.onData((d) => resolve(new TextDecoder().decode(d))));
    t.write(new TextEncoder().encode("over v4\n"));
    expect(await got).toBe("over v4\n");
    const closed = new Promise<Error | undefined>((resolve) => t.onClose(resolve));
    t.close();
    expect(await closed).toBeUndefined();
  }, 30_000);

  test("stderr lines are delivered and a non-zero exit code is parsed", async () => {
    const lines: string[] = [];
    const t = await execTransport(client, {
      pod,
      command: [
        "bun",
        "-e",
        'console.error("first"); console.error("second"); console.log("out"); process.exitCode = 7',
      ],
      stdin: false,
      onStderr: (l) => lines.push(l),
    });
    let out = "";
    t.onData((d) => (out += new TextDecoder().decode(d)));
    const err = await new Promise<Error | undefined>((resolve) => t.onClose(resolve));
    expect(lines).toEqual(["first", "second"]);
    expect(out).toBe("out\n");
    expect(err).toBeInstanceOf(ExecExitError);
    expect((err as ExecExitError).commandExitCode).toBe(7);
    expect(t.exitStatus?.reason).toBe("NonZeroExitCode");
  }, 30_000);

  test("WebSocket pings are answered by the API server", async () => {
    const t = await execTransport(client, { pod, command: BUN_CAT, pingIntervalMs: 100 });
    await Bun.sleep(450);
    console.log(`exec WebSocket ping RTT: ${t.pingRttMs?.toFixed(2) ?? "no pong"} ms`);
    expect(t.pingRttMs).toBeDefined();
    t.closeStdin();
    expect(await new Promise<Error | undefined>((resolve) => t.onClose(resolve))).toBeUndefined();
  }, 30_000);

  test("a missing container and a forbidden namespace are explained", async () => {
    const missing = await execTransport(client, { pod, container: "nope", command: BUN_CAT }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(KfwdError);
    console.log(`missing container: ${(missing as KfwdError).code}: ${(missing as KfwdError).message}`);
    expect((missing as KfwdError).message).toContain("nope");
    const forbidden = await execTransport(client, { namespace: "kube-system", pod: "x", command: BUN_CAT }).catch(
      (e: unknown) => e,
    );
    expect((forbidden as KfwdError).code).toBe("KFWD_RBAC_FORBIDDEN");
    expect((forbidden as KfwdError).hint).toContain('resources: ["pods/exec"]');
  }, 30_000);
});
