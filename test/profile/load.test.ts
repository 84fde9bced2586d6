import { describe, expect, test } from "bun:test";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir, homedir } from "node:os";
import { join } from "node:path";
import { DEFAULT_AGENT_IMAGE, loadProfile, type Profile } from "../../src/profile/index";
import { FILE, fail, ok, problem, problems } from "../helpers/profile";

describe("defaults", () => {
  test("an empty file is a targetless profile with every default", () => {
    const p = ok("");
    expect(p.source.path).toBe(FILE);
    expect(p.id).toMatch(/^[0-9a-f]{10}$/);
    expect(p.cluster).toEqual({});
    expect(p.target).toEqual({ kind: "none" });
    expect(p.agent).toEqual({
      placement: "auto",
      transport: "auto",
      image: DEFAULT_AGENT_IMAGE,
      bun: "bun",
      idle_timeout: 30_000,
      start_timeout: 60_000,
      cpu: "500m",
      memory: "192Mi",
    });
    expect(p.env.include).toEqual(["*"]);
    expect(p.env.exclude).toContain("PATH");
    expect(p.env.exclude.some((g) => g.startsWith("KUBERNETES") || g.includes("SERVICE"))).toBe(false);
    expect(p.env.set).toEqual({});
    expect(p.proxy).toEqual({
      socks: { host: "127.0.0.1", port: 0 },
      http: { host: "127.0.0.1", port: 0 },
      expose: false,
      cluster: ["*"],
      direct: [],
    });
    expect(p.forward).toEqual([]);
  });

  test("values are converted: durations to ms, addresses to host/port, paths made absolute", () => {
    const p = ok(`
[cluster]
kubeconfig = "kube/config"
[agent]
idle_timeout = "2m"
[proxy]
socks = "127.0.0.1:1080"
[[forward]]
local = "localhost:6379"
remote = "redis:6379"
`);
    expect(p.cluster.kubeconfig).toBe("/home/dev/shop/kube/config");
    expect(p.agent.idle_timeout).toBe(120_000);
    expect(p.proxy.socks).toEqual({ host: "127.0.0.1", port: 1080 });
    expect(p.forward).toEqual([{ local: { host: "localhost", port: 6379 }, remote: { host: "redis", port: 6379 } }]);
    expect(ok('[cluster]\nkubeconfig = "~/k"').cluster.kubeconfig).toBe(join(homedir(), "k"));
  });
});

describe("target", () => {
  const cases: [string, Profile["target"]][] = [
    ['pod = "web-1"', { kind: "pod", name: "web-1" }],
    [
      'workload = "deployment/checkout"\ncontainer = "app"',
      { kind: "workload", workload: "deployment", name: "checkout", container: "app" },
    ],
    ['workload = "statefulset/db"', { kind: "workload", workload: "statefulset", name: "db" }],
    ['workload = "replicaset/x"', { kind: "workload", workload: "replicaset", name: "x" }],
    ['service = "checkout"', { kind: "service", name: "checkout" }],
    ["local = true", { kind: "local" }],
    ['local = true\nnetns = "lab"', { kind: "local", netns: "lab" }],
    ["local = false", { kind: "none" }],
  ];
  test.each(cases)("%p", (body, target) => expect(ok(`[target]\n${body}`).target).toEqual(target));

  test("conflicting kinds name both keys", () => {
    expect(problem('[target]\npod = "a"\nservice = "b"')).toContain(
      'Conflicting keys "target.pod" and "target.service"',
    );
    expect(problem('[target]\nworkload = "deployment/a"\nlocal = true')).toMatch(
      /profile\.toml:3:1: target\.local: Conflicting keys "target\.workload" and "target\.local"/,
    );
  });

  test("workload kind is validated", () => {
    const line = problem('[target]\nworkload = "daemonset/x"');
    expect(line).toContain('"daemonset" is not a supported workload kind');
    expect(line).toContain('"deployment/<name>"');
    expect(problem('[target]\nworkload = "checkout"')).toContain('is not "kind/name"');
    expect(problem('[target]\nworkload = "deployment/Bad_Name"')).toContain("not a valid object name");
  });

  test("netns needs local; container needs a pod target", () => {
    expect(problem('[target]\nnetns = "lab"')).toContain('"target.netns" only applies with "target.local = true"');
    expect(problem('[target]\nlocal = true\ncontainer = "app"')).toContain("a local target has no containers");
    expect(problem('[target]\ncontainer = "app"')).toContain(
      '"target.container" needs a pod, workload or service target',
    );
  });

  test("the id depends on the path and the target", () => {
    expect(ok('[target]\npod = "a"').id).toBe(ok('[target]\npod = "a"\n[agent]\ncpu = "1"').id);
    expect(ok('[target]\npod = "a"').id).not.toBe(ok('[target]\npod = "b"').id);
  });
});

describe("agent", () => {
  test("enum with a suggestion", () => {
    const line = problem('[agent]\nplacement = "ephemeal"');
    expect(line).toContain(
      'agent.placement: "ephemeal" is not one of "auto", "ephemeral", "pod". Did you mean "ephemeral"?',
    );
  });
  test("durations and quantities", () => {
    expect(problem("[agent]\nidle_timeout = 30")).toContain('Expected a duration string like "30s", got 30 (integer)');
    expect(problem('[agent]\nstart_timeout = "1 minute"')).toContain('Cannot parse duration "1 minute"');
    expect(problem('[agent]\nmemory = "128MB"')).toContain('"128MB" is not a Kubernetes quantity');
    expect(ok('[agent]\nstart_timeout = "1m30s"').agent.start_timeout).toBe(90_000);
  });
});

describe("env", () => {
  test("globs and overrides", () => {
    const p = ok('[env]\ninclude = ["DB_*"]\nexclude = []\nset = { LOG_LEVEL = "debug", "A.B" = "x" }');
    expect(p.env).toEqual({ include: ["DB_*"], exclude: [], set: { LOG_LEVEL: "debug", "A.B": "x" } });
  });
  test('"__proto__" stays an ordinary variable name', () => {
    const set = ok('[env]\nset = { "__proto__" = "x" }').env.set;
    expect(Object.keys(set)).toEqual(["__proto__"]);
    expect(Object.getPrototypeOf(set)).toBe(Object.prototype);
  });
  test("bad items point at the item", () => {
    expect(problem('[env]\nexclude = [\n  "A",\n  "B=C",\n]')).toMatch(
      /profile\.toml:4:3: env\.exclude\[1\]: .*cannot contain '='/,
    );
    expect(problem("[env]\nset = { LOG_LEVEL = 1 }")).toMatch(
      /profile\.toml:2:9: env\.set\.LOG_LEVEL: Expected string values/,
    );
    expect(problem('[env]\nset = { "A*" = "x" }')).toContain("a variable name, not a glob");
    expect(problem('[env]\ninclude = "*"')).toContain('Expected an array of strings, got "*" (string)');
  });
});

describe("proxy", () => {
  test("non-loopback listen needs expose, and says why", () => {
    const line = problem('[proxy]\nsocks = "0.0.0.0:1080"');
    expect(line).toContain("proxy.socks:");
    expect(line).toContain("set expose = true");
    const exposed = ok('[proxy]\nexpose = true\nhttp = "0.0.0.0:3128"\nusername = "u"\npassword = "p"');
    expect(exposed.proxy.http).toEqual({ host: "0.0.0.0", port: 3128 });
  });
  test("expose = true without credentials is an error naming the file, line and key", () => {
    const line = problem('[proxy]\nexpose = true\nhttp = "0.0.0.0:3128"');
    expect(line).toContain(":2:1: proxy.expose: expose = true needs username and password");
    expect(line).toContain("Add username");
  });
  test("credentials come in pairs, shaped into auth", () => {
    expect(problem('[proxy]\nusername = "u"')).toContain('"proxy.username" is set without "proxy.password"');
    expect(problem('[proxy]\npassword = "p"')).toContain('"proxy.password" is set without "proxy.username"');
    expect(ok('[proxy]\nusername = "u"\npassword = "p"').proxy.auth).toEqual({ username: "u", password: "p" });
  });
  test("route lists take globs, IPs and CIDRs", () => {
    expect(
      ok('[proxy]\ncluster = ["*.svc.cluster.local", "10.96.0.0/12", "fd00::/8"]\ndirect = ["10.0.0.1"]').proxy.cluster,
    ).toHaveLength(3);
    expect(problem('[proxy]\ncluster = ["10.96.0.0/40"]')).toContain("proxy.cluster[0]");
    expect(problem('[proxy]\ndirect = ["http://x"]')).toContain("proxy.direct[0]");
  });
});

describe("forward", () => {
  test("required keys, ranges, loopback only", () => {
    expect(problem("[[forward]]\nlocal = 5432")).toMatch(
      /profile\.toml:1:1: forward\[0\]\.remote: Missing required key "remote".*Add remote = "postgres\.db:5432"/,
    );
    expect(problem('[[forward]]\nlocal = 70000\nremote = "a:1"')).toContain("Port 70000 is out of range 1..65535");
    expect(problem('[[forward]]\nlocal = 0\nremote = "a:1"')).toContain("out of range");
    expect(problem('[[forward]]\nlocal = "0.0.0.0:5432"\nremote = "a:1"')).toContain("not a loopback address");
    expect(problem('[[forward]]\nlocal = 1\nremote = "db:0"')).toContain("forward[0].remote");
  });
  test("duplicate ports name both entries, with the second's line", () => {
    const line = problem(
      '[[forward]]\nlocal = 5432\nremote = "a:1"\n\n[[forward]]\nlocal = "127.0.0.1:5432"\nremote = "b:1"\n',
    );
    expect(line).toContain(
      'profile.toml:6:1: forward[1].local: Port 5432 is used by both "forward[0].local" and "forward[1].local"',
    );
    expect(problem('[proxy]\nsocks = "127.0.0.1:1080"\n[[forward]]\nlocal = 1080\nremote = "a:1"')).toContain(
      '"proxy.socks" and "forward[0].local"',
    );
  });
  test("a bad entry is reported beside the other problems", () => {
    const lines = problems(
      '[target]\npod = "a"\nservice = "b"\n[proxy]\nsocks = "x"\n[[forward]]\nlocal = 70000\nremote = "a:1"\n[[forward]]\nlocal = 1\nremote = "b:1"',
    );
    expect(lines.map((l) => l.split(": ")[1])).toEqual(["target.service", "proxy.socks", "forward[0].local"]);
  });
  test("forward must be an array of tables", () => {
    expect(problem('forward = "x"')).toContain("Expected an array of tables");
  });
});

describe("unknown keys", () => {
  test("typo in a section: file, line, key path and the nearest key", () => {
    expect(problem('[cluster]\ncontext = "a"\nnamspace = "shop"')).toBe(
      `  ${FILE}:3:1: cluster.namspace: Unknown key "namspace" in [cluster]. Did you mean "namespace"?`,
    );
    expect(problem('[agent]\nidle-timeout = "1s"')).toContain('Did you mean "idle_timeout"?');
    expect(problem('[agent]\nidel_timeout = "1s"')).toContain('Did you mean "idle_timeout"?');
  });
  test("a key in the wrong section names its section", () => {
    expect(problem('[target]\nnamespace = "shop"')).toContain('"namespace" belongs in [cluster]');
    expect(problem('namespace = "shop"')).toContain(
      '"namespace" belongs in [cluster]: move it below a [cluster] header.',
    );
  });
  test("unknown sections, and keys nothing resembles", () => {
    expect(problem('[clustr]\nnamespace = "a"')).toMatch(
      /profile\.toml:1:1: clustr: Unknown table "clustr". Did you mean "cluster"\?/,
    );
    expect(problem("[outgoing]\nport = 1")).toContain(
      "Known sections: [cluster], [target], [agent], [env], [proxy], [incoming], [reach], [files], [[forward]].",
    );
    expect(problem("[incoming]\nport = 1")).toContain('Unknown key "port" in [incoming]. Did you mean "ports"?');
    expect(problem("[proxy]\nzzz = 1")).toContain("Known keys in [proxy]: socks, http, expose");
    expect(problem('[[forward]]\nlocal = 1\nremote = "a:1"\nlabel = "x"')).toContain(
      'forward[0].label: Unknown key "label" in [[forward]] entry 0',
    );
  });
  test("dotted keys and inline tables are located too", () => {
    expect(problem('cluster.namspace = "a"')).toContain(":1:1: cluster.namspace:");
    expect(problem('agent = { cpu = "1", memroy = "1Gi" }')).toContain(":1:22: agent.memroy:");
  });
});

describe("reporting", () => {
  test("every problem at once, in file order, with code and hint", () => {
    const e = fail('[agent]\nplacement = "x"\nidle_timeout = "x"\n[proxy]\nusername = "u"\n[[forward]]\nlocal = 1\n');
    expect(e.code).toBe("KFWD_PROFILE_INVALID");
    expect(e.hint).toContain("docs/profile.md");
    const lines = e.message.split("\n");
    expect(lines[0]).toBe(`Cannot load profile "${FILE}": 4 problems`);
    expect(lines.slice(1).map((l) => l.match(/:(\d+):\d+: (\S+):/)?.slice(1))).toEqual([
      ["2", "agent.placement"],
      ["3", "agent.idle_timeout"],
      ["5", "proxy.username"],
      ["6", "forward[0].remote"],
    ]);
  });
  test("TOML syntax errors carry line and column", () => {
    const e = fail('[cluster]\nnamespace = "a\n');
    expect(e.code).toBe("KFWD_PROFILE_INVALID");
    expect(e.message).toContain(`${FILE}:2:`);
    expect(e.hint).toContain("line 2");
  });
  test("wrong table type", () => {
    expect(problem('cluster = "x"')).toContain('cluster: Expected a table, got "x" (string)');
  });
});

describe("loadProfile", () => {
  test("resolves the path and reads the file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "kfwd-profile-"));
    await writeFile(join(dir, "p.toml"), "[target]\nlocal = true\n");
    const p = await loadProfile(join(dir, ".", "p.toml"));
    expect(p.source.path).toBe(join(dir, "p.toml"));
    expect(p.target).toEqual({ kind: "local" });
  });
  test("a missing file is KFWD_PROFILE_NOT_FOUND with the absolute path", async () => {
    const err = await loadProfile("does/not/exist.toml").catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "KFWD_PROFILE_NOT_FOUND" });
    expect((err as Error).message).toContain(join(process.cwd(), "does/not/exist.toml"));
  });
});
