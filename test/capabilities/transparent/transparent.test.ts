/**
 * Transparent mode end to end: the compiled kfwd, a local agent in the fake cluster's namespace, and programs
 * that know nothing of proxies — curl told to use none, getent, a static Go binary with a hard-coded name —
 * reaching a cluster address the host cannot reach. Needs root for the fake cluster (not for transparent mode).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { appendFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { transparentSupport } from "../../../src/capabilities/transparent/support";
import { canMakeNetns, type FakeCluster, SERVICE_NAMES, startFakeCluster } from "../../helpers/fake-cluster";
import { type FakeDatabases, hasDatabases, startDatabases } from "../../helpers/fake-databases";
import { kfwd, writeProfile } from "../../helpers/kfwd";
import { freePort } from "../../helpers/ports";

const CLUSTER_IP = "10.99.0.10";
const NAME = "edge.shop.svc.cluster.local";
const enabled = canMakeNetns() && transparentSupport().ok;

describe.skipIf(!enabled)("kfwd run --transparent", () => {
  let cluster: FakeCluster;
  let services: ChildProcess;
  let databases: FakeDatabases | undefined;
  let profile: string;

  beforeAll(async () => {
    cluster = await startFakeCluster();
    spawnSync("ip", ["-n", cluster.netns, "addr", "add", `${CLUSTER_IP}/32`, "dev", "lo"]);
    appendFileSync(`/etc/netns/${cluster.netns}/hosts`, `${CLUSTER_IP} ${NAME}\n`);
    services = spawn(
      "ip",
      [
        "netns",
        "exec",
        cluster.netns,
        process.execPath,
        join(import.meta.dir, "../../fixtures/transparent-services.ts"),
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    await new Promise((resolve) => createInterface({ input: services.stdout! }).once("line", resolve));
    profile = writeProfile(`[target]\nlocal = true\nnetns = "${cluster.netns}"\n`);
    if (hasDatabases()) databases = await startDatabases(cluster.netns);
  }, 60_000);

  afterAll(async () => {
    services?.kill("SIGKILL");
    await databases?.stop();
    await cluster?.stop();
  });

  test("a program that ignores proxies reaches a cluster name; without kfwd it cannot", async () => {
    const curl = ["curl", "-sS", "--noproxy", "*", "--max-time", "10", `http://${NAME}:8080/`];
    const without = spawnSync(curl[0] as string, curl.slice(1), { encoding: "utf8" });
    expect(without.status).not.toBe(0);
    const r = await kfwd(["run", "--transparent", profile, "--", ...curl]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("hello from the cluster\n");
  });

  test("names resolve through the pod's resolver: getent sees the cluster address", async () => {
    const r = await kfwd(["run", "--transparent", profile, "--", "getent", "hosts", NAME]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split(/\s+/)).toEqual([CLUSTER_IP, NAME]);
    const missing = await kfwd([
      "run",
      "--transparent",
      profile,
      "--",
      "getent",
      "hosts",
      "nope.shop.svc.cluster.local",
    ]);
    expect(missing.code).toBe(2); // getent: key not found
  });

  test.skipIf(spawnSync("go", ["version"]).status !== 0)(
    "a static Go binary (its own resolver, raw connect) with a hard-coded name",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "kfwd-go-"));
      writeFileSync(
        join(dir, "main.go"),
        `package main
import ("fmt"; "io"; "net"; "os")
func main() {
  c, err := net.Dial("tcp", "${NAME}:9000")
  if err != nil { fmt.Println(err); os.Exit(1) }
  c.Write([]byte("echo through the agent"))
  c.(*net.TCPConn).CloseWrite()
  b, _ := io.ReadAll(c)
  fmt.Print(string(b))
}
`,
      );
      writeFileSync(join(dir, "go.mod"), "module dial\ngo 1.21\n");
      const build = spawnSync("go", ["build", "-o", "dial", "."], {
        cwd: dir,
        env: { ...process.env, CGO_ENABLED: "0", GOFLAGS: "-mod=mod" },
        encoding: "utf8",
      });
      expect(build.stderr).toBe("");
      expect(spawnSync("file", [join(dir, "dial")], { encoding: "utf8" }).stdout).toContain("statically linked");
      const r = await kfwd(["run", "--transparent", profile, "--", join(dir, "dial")]);
      expect(r.stdout).toBe("echo through the agent");
      expect(r.code).toBe(0);
    },
    60_000,
  );

  test("loopback stays the command's own, and a port it listens on is published on the host", async () => {
    const port = await freePort();
    const script = `
      const http = require("node:http");
      const server = http.createServer((q, s) => s.end("served from inside\\n"));
      server.listen(${port}, "127.0.0.1", async () => {
        const self = await fetch("http://127.0.0.1:${port}/").then((r) => r.text());
        process.stdout.write("self: " + self);
        setTimeout(() => process.exit(0), 3000);
      });`;
    const file = join(mkdtempSync(join(tmpdir(), "kfwd-serve-")), "serve.js");
    writeFileSync(file, script);
    const run = kfwd(["run", "--transparent", profile, "--", process.execPath, file]);
    let published = "";
    for (let i = 0; i < 40 && !published; i++) {
      await Bun.sleep(100);
      published = await fetch(`http://127.0.0.1:${port}/`).then(
        (r) => r.text(),
        () => "",
      );
    }
    const r = await run;
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("self: served from inside\n");
    expect(published).toBe("served from inside\n");
    expect(r.code).toBe(0);
  });

  test.skipIf(!hasDatabases())(
    "psql -h <cluster name>: a database client with its host on the command line",
    async () => {
      const psql = ["psql", "-h", SERVICE_NAMES.db, "-U", "postgres", "-tAc", "select 40 + 2"];
      const r = await kfwd(["run", "--transparent", profile, "--", ...psql]);
      expect(r.stdout.trim()).toBe("42");
      expect(r.code).toBe(0);
    },
  );

  test.skipIf(spawnSync("javac", ["-version"]).status !== 0 || !hasDatabases())(
    "Java with a hard-coded cluster name and no proxy settings (JAVA_TOOL_OPTIONS unset)",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "kfwd-java-"));
      writeFileSync(
        join(dir, "Dial.java"),
        `import java.net.Socket;
public class Dial {
  public static void main(String[] args) throws Exception {
    try (Socket s = new Socket("${SERVICE_NAMES.db}", 5432)) {
      s.getOutputStream().write(new byte[] {0, 0, 0, 8, 4, (byte) 0xd2, 0x16, 0x2f}); // SSLRequest
      int answer = s.getInputStream().read();
      System.out.println(answer == 'N' || answer == 'S' ? "postgres answered" : "unexpected " + answer);
    }
  }
}
`,
      );
      expect(spawnSync("javac", ["-d", dir, join(dir, "Dial.java")], { encoding: "utf8" }).status).toBe(0);
      const java = `unset JAVA_TOOL_OPTIONS; exec java -cp ${dir} Dial`;
      const r = await kfwd(["run", "--transparent", profile, "--", "sh", "-c", java]);
      expect(r.stdout).toBe("postgres answered\n");
      expect(r.code).toBe(0);
    },
    60_000,
  );
});
