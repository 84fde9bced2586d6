/**
 * A real workload in the lab: a 2-replica testapp Deployment behind a Service, reached from a pod by DNS name
 * and pod IP, from the host through `kubectl exec` and `kubectl port-forward`, and never directly.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect } from "node:net";
import { requireLabOrSkip } from "../helpers/lab";
import { BUN_IMAGE, idlePod, restrictedContainer } from "../helpers/lab-objects";
import { testapp } from "../helpers/testapp";
import { apply, bunInPod, kubectl, kubectlOk, podIPs, uniqueName } from "./helpers/kubectl";

const lab = requireLabOrSkip();
const NAMESPACE = lab?.namespace ?? "";

const app = uniqueName("testapp");
const client = uniqueName("client");

describe.skipIf(!lab)("lab workload", () => {
  beforeAll(async () => {
    const { service, workload } = testapp({ name: app });
    await apply(workload);
    await apply(service);
    await apply(idlePod(client), "restricted");
    await kubectlOk(["rollout", "status", `deployment/${app}`, "--timeout=90s"], { timeoutMs: 100_000 });
    await kubectlOk(["wait", "--for=condition=Ready", `pod/${client}`, "--timeout=90s"], { timeoutMs: 100_000 });
  }, 200_000);

  afterAll(async () => {
    if (!lab) return;
    await kubectl(["delete", "deployment,service", app, "--wait=false"]);
    await kubectl(["delete", "pod", client, "--wait=false"]);
  });

  test("the Deployment becomes Available with 2 replicas", async () => {
    const out = await kubectlOk(["get", "deployment", app, "-o", "jsonpath={.status.availableReplicas}"]);
    expect(out).toBe("2");
  });

  test("from a pod, the Service's DNS names answer", async () => {
    // kube-proxy programs a new Service's rules asynchronously: wait for the first answer, as any client would.
    const deadline = Date.now() + 15_000;
    while (
      (
        await bunInPod(
          client,
          `try { await fetch("http://${app}:8080/hello"); console.log("up") } catch { console.log("down") }`,
        )
      ).trim() !== "up"
    ) {
      if (Date.now() > deadline) throw new Error(`service ${app} never answered from a pod`);
      await Bun.sleep(500);
    }
    for (const host of [app, `${app}.${NAMESPACE}`, `${app}.${NAMESPACE}.svc.cluster.local`]) {
      const out = await bunInPod(client, `console.log(await (await fetch("http://${host}:8080/hello")).text())`);
      expect(out).toStartWith(`hello from ${app}-`);
    }
  }, 30_000);

  test("from a pod, each pod IP behind the Service answers, HTTP and TCP echo", async () => {
    const pods = await podIPs(app);
    expect(pods.size).toBe(2);
    for (const [name, ip] of pods) {
      expect(await bunInPod(client, `console.log(await (await fetch("http://${ip}:8080/hello")).text())`)).toBe(
        `hello from ${name}\n\n`,
      );
      const echo = await bunInPod(
        client,
        `const s = require("net").connect(9000, "${ip}", () => s.end("ping-${name}"));` +
          `let b = ""; s.on("data", (d) => (b += d)); s.on("end", () => console.log(b));`,
      );
      expect(echo.trim()).toBe(`ping-${name}`);
    }
  }, 30_000);

  test("the image's ENV reaches the container", async () => {
    const out = await bunInPod(
      client,
      `console.log(await (await fetch("http://${app}:8080/env/KFWD_IMAGE_ENV")).text())`,
    );
    expect(out.trim()).toBe("from-image");
  });

  test("kubectl exec works with the restricted kubeconfig, stdin and stdout", async () => {
    const payload = `${"x".repeat(100_000)}\nend\n`;
    const r = await kubectl(
      ["exec", "-i", client, "--", "/usr/local/bin/bun", "-e", "process.stdin.pipe(process.stdout)"],
      { as: "restricted", stdin: payload },
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(payload);
  });

  test("the restricted user can add an ephemeral Bun container that reads the target's runtime env", async () => {
    const pod = [...(await podIPs(app)).keys()][0] ?? "";
    const patch = {
      spec: {
        ephemeralContainers: [
          {
            name: "probe",
            image: BUN_IMAGE,
            imagePullPolicy: "IfNotPresent",
            targetContainerName: "app",
            command: ["/usr/local/bin/bun", "-e", "setInterval(() => {}, 1 << 30)"],
            securityContext: restrictedContainer(65532),
          },
        ],
      },
    };
    await kubectlOk(
      ["patch", "pod", pod, "--subresource=ephemeralcontainers", "--type=strategic", "-p", JSON.stringify(patch)],
      {
        as: "restricted",
      },
    );
    let running = false;
    for (let i = 0; i < 60 && !running; i++) {
      const state = await kubectlOk([
        "get",
        "pod",
        pod,
        "-o",
        "jsonpath={.status.ephemeralContainerStatuses[0].state}",
      ]);
      running = state.includes("running");
      if (!running) await Bun.sleep(500);
    }
    expect(running).toBe(true);
    // Same UID as the target, sharing its PID namespace: the app is PID 1, its environ holds the image's ENV.
    const env = await kubectlOk(
      [
        "exec",
        pod,
        "-c",
        "probe",
        "--",
        "/usr/local/bin/bun",
        "-e",
        `process.stdout.write(require("fs").readFileSync("/proc/1/environ", "utf8"))`,
      ],
      { as: "restricted" },
    );
    expect(env.split("\0")).toContain("KFWD_IMAGE_ENV=from-image");
  }, 60_000);

  test("kubectl port-forward works from the host", async () => {
    // The lab grants the restricted user pods/portforward beside kfwd's Role (lab/manifests/test-namespace.yaml),
    // for this check and the port-forward benchmark baseline (kfwd's Role grants it too, for its port-forward link).
    if (!lab) throw new Error("unreachable");
    const pf = Bun.spawn(
      [lab.kubectl, "--kubeconfig", lab.restricted, "-n", NAMESPACE, "port-forward", `service/${app}`, ":8080"],
      { stdout: "pipe", stderr: "pipe" },
    );
    try {
      const reader = pf.stdout.getReader();
      let out = "";
      while (!/127\.0\.0\.1:(\d+)/.test(out)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`port-forward ended: ${await new Response(pf.stderr).text()}`);
        out += new TextDecoder().decode(value);
      }
      const port = out.match(/127\.0\.0\.1:(\d+)/)?.[1];
      const res = await fetch(`http://127.0.0.1:${port}/bytes/1000000`);
      expect((await res.arrayBuffer()).byteLength).toBe(1_000_000);
      const hello = await (await fetch(`http://127.0.0.1:${port}/hello`)).text();
      expect(hello).toStartWith(`hello from ${app}-`);
    } finally {
      pf.kill();
    }
  }, 40_000);

  describe("from the host", () => {
    const tcpConnects = (host: string, port: number, ms = 1500) =>
      new Promise<boolean>((resolve) => {
        const s = connect({ host, port });
        const done = (ok: boolean) => {
          s.destroy();
          resolve(ok);
        };
        s.setTimeout(ms, () => done(false));
        s.on("connect", () => done(true));
        s.on("error", () => done(false));
      });

    test("the API server is reachable", async () => {
      if (!lab) throw new Error("unreachable");
      const server = (await Bun.file(lab.admin).text()).match(/server: https:\/\/([\d.]+):(\d+)/);
      expect(server).not.toBeNull();
      expect(await tcpConnects(server?.[1] ?? "", Number(server?.[2]))).toBe(true);
    });

    test("the kubelet on the node is not", async () => {
      const ip = (
        await kubectlOk([
          "get",
          "nodes",
          "-o",
          "jsonpath={.items[0].status.addresses[?(@.type=='InternalIP')].address}",
        ])
      ).trim();
      expect(await tcpConnects(ip, 10250)).toBe(false);
    });

    test("pod IPs and the Service IP have no route through the lab", async () => {
      // Checked with the routing table, not by sending packets: without a route they would leave by the
      // host's default route, to a network that is not ours.
      const svcIP = (await kubectlOk(["get", "service", app, "-o", "jsonpath={.spec.clusterIP}"])).trim();
      const ips = [svcIP, ...(await podIPs(app)).values()];
      expect(ips.length).toBe(3);
      const node = (
        await kubectlOk([
          "get",
          "nodes",
          "-o",
          "jsonpath={.items[0].status.addresses[?(@.type=='InternalIP')].address}",
        ])
      ).trim();
      for (const ip of ips) {
        const route = Bun.spawnSync(["ip", "-o", "route", "get", ip]).stdout.toString();
        expect(route).not.toContain(`via ${node}`);
        expect(route).not.toContain("kfwdlab");
      }
    });

    test("even with a route through the node, pod and Service IPs do not answer", async () => {
      if (process.getuid?.() !== 0) return; // adding a route needs root; the routing check above still ran
      const node = (
        await kubectlOk([
          "get",
          "nodes",
          "-o",
          "jsonpath={.items[0].status.addresses[?(@.type=='InternalIP')].address}",
        ])
      ).trim();
      const svcIP = (await kubectlOk(["get", "service", app, "-o", "jsonpath={.spec.clusterIP}"])).trim();
      const podIP = [...(await podIPs(app)).values()][0] ?? "";
      for (const ip of [svcIP, podIP]) {
        const add = Bun.spawnSync(["ip", "route", "add", `${ip}/32`, "via", node]);
        expect(add.exitCode).toBe(0);
        try {
          expect(await tcpConnects(ip, 8080)).toBe(false);
        } finally {
          Bun.spawnSync(["ip", "route", "del", `${ip}/32`, "via", node]);
        }
      }
    });
  });
});
