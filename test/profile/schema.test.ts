import { expect, test } from "bun:test";
import type { Profile } from "../../src/profile/index";
import { profileSchema } from "../../src/profile/index";
import type { HostPort } from "../../src/profile/values";

test("every example in the schema is a valid value (error fixes quote them)", () => {
  for (const [name, section] of Object.entries(profileSchema)) {
    for (const [key, f] of Object.entries(section.fields)) {
      expect(() => f.read(f.example, { dir: "/" }), `${name}.${key}`).not.toThrow();
      if (f.default !== undefined)
        expect(() => f.read(f.default as never, { dir: "/" }), `${name}.${key} default`).not.toThrow();
    }
  }
});

// ---- Compile-time: the Profile type derived from the schema has exactly this shape -------------------
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | undefined {
  return undefined;
}

type Expected = {
  readonly source: { readonly path: string };
  readonly id: string;
  cluster: { context?: string; namespace?: string; kubeconfig?: string };
  target:
    | { kind: "pod"; name: string; container?: string }
    | { kind: "workload"; workload: "deployment" | "statefulset" | "replicaset"; name: string; container?: string }
    | { kind: "service"; name: string; container?: string }
    | { kind: "local"; netns?: string }
    | { kind: "none" };
  agent: {
    placement: "auto" | "ephemeral" | "pod";
    transport: "auto" | "exec";
    image: string;
    bun: string;
    idle_timeout: number;
    start_timeout: number;
    cpu: string;
    memory: string;
  };
  env: { include: string[]; exclude: string[]; set: Record<string, string> };
  proxy: {
    socks: HostPort;
    http: HostPort;
    expose: boolean;
    cluster: string[];
    direct: string[];
    auth?: { username: string; password: string };
  };
  reach: { rewrite: boolean; keep: string[]; node: boolean; jvm: boolean; transparent: boolean };
  forward: { local: HostPort; remote: HostPort; name?: string }[];
  incoming: {
    mode?: "steal" | "mirror" | "replace";
    ports: { port: number; host: number }[];
    header?: { name: string; value: string; regex: boolean };
    path?: string;
  };
  files: { mounts: string[]; paths: string[]; exclude: string[]; dir?: string; keep: boolean };
};

test("Profile has the documented shape (checked by tsc)", () => {
  assertType<Equal<keyof Profile, keyof Expected>>();
  assertType<Equal<Profile["source"], Expected["source"]>>();
  assertType<Equal<Profile["id"], Expected["id"]>>();
  assertType<Equal<Profile["cluster"], Expected["cluster"]>>();
  assertType<Equal<Profile["target"], Expected["target"]>>();
  assertType<Equal<Profile["agent"], Expected["agent"]>>();
  assertType<Equal<Profile["env"], Expected["env"]>>();
  assertType<Equal<Profile["proxy"], Expected["proxy"]>>();
  assertType<Equal<Profile["reach"], Expected["reach"]>>();
  assertType<Equal<Profile["forward"], Expected["forward"]>>();
  assertType<Equal<Profile["files"], Expected["files"]>>();
  expect(true).toBe(true);
});
