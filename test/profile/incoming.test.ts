/** [incoming] in a profile: what parses, and each mistake named with its line and fix before anything starts. */
import { describe, expect, test } from "bun:test";
import { ok, problem } from "../helpers/profile";

const svc = '[target]\nservice = "checkout"\n';

describe("[incoming]", () => {
  test("ports, a header filter and a path parse to what the capability uses", () => {
    const p = ok(
      `${svc}[incoming]\nmode = "steal"\nports = [8080, "9090:3000", "7000"]\nheader = "X-Dev-User: alice"\npath = "/api/"`,
    );
    expect(p.incoming.mode).toBe("steal");
    expect(p.incoming.ports).toEqual([
      { port: 8080, host: 8080 },
      { port: 9090, host: 3000 },
      { port: 7000, host: 7000 },
    ]);
    expect(p.incoming.header).toEqual({ name: "x-dev-user", value: "alice", regex: false });
    expect(p.incoming.path).toBe("/api/");
  });

  test("a header value written /.../ is a regex; a broken one is refused", () => {
    expect(ok(`${svc}[incoming]\nmode = "steal"\nheader = "x-dev-user: /^al/"`).incoming.header).toEqual({
      name: "x-dev-user",
      value: "^al",
      regex: true,
    });
    expect(problem(`${svc}[incoming]\nmode = "steal"\nheader = "x-dev-user: /(/"`)).toContain(
      "is not a valid regular expression",
    );
  });

  test("no section, or no mode: off", () => {
    expect(ok(svc).incoming.mode).toBeUndefined();
  });

  test("bad values name the line, the key and the fix", () => {
    expect(problem(`${svc}[incoming]\nmode = "steal"\nports = [70000]`)).toMatch(
      /profile\.toml:5:\d+: incoming\.ports.*70000 is not a port.*Write ports like/,
    );
    expect(problem(`${svc}[incoming]\nmode = "steal"\nports = ["1:2:3"]`)).toContain('is not "port:hostport"');
    expect(problem(`${svc}[incoming]\nmode = "steal"\nports = 8080`)).toContain("Expected an array of ports");
    expect(problem(`${svc}[incoming]\nmode = "steal"\nheader = "alice"`)).toContain('is not "Name: value"');
    expect(problem(`${svc}[incoming]\nmode = "steal"\npath = "api"`)).toContain('does not start with "/"');
    expect(problem(`${svc}[incoming]\nmode = "intercept"`)).toContain("incoming.mode");
  });

  test("rules across keys: a filter or ports without mode, replace with a filter, no cluster target", () => {
    expect(problem(`${svc}[incoming]\nports = [8080]`)).toContain(
      '"incoming.ports" is set without "incoming.mode". Add mode = "steal", "mirror" or "replace"',
    );
    expect(problem(`${svc}[incoming]\nmode = "replace"\nheader = "x-dev-user: a"`)).toContain(
      'mode "replace" takes all of the workload\'s traffic',
    );
    expect(problem('[incoming]\nmode = "steal"')).toContain("[incoming] needs a cluster target");
    expect(problem('[target]\nlocal = true\n[incoming]\nmode = "steal"')).toContain("is local");
  });
});
