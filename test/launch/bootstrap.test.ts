import { describe, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { Mux } from "../../wire/mux";
import { agentArgv, agentPayload, LOADER } from "../../src/launch/bootstrap";
import type { Transport } from "../../wire/transport";

describe("bootstrap loader", () => {
  test("is small enough for a command line", () => {
    expect(LOADER.length).toBeLessThan(1000);
    expect(agentArgv("/x/bun")).toEqual(["/x/bun", "-e", LOADER]);
    const payload = agentPayload();
    expect(Buffer.from(payload).readUInt32BE(0)).toBe(payload.length - 4);
  });

  test("handles a payload cut into tiny pieces, with protocol bytes in the same write as its end", async () => {
    const argv = agentArgv(process.execPath);
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ["pipe", "pipe", "inherit"] });
    const payload = Buffer.from(agentPayload());
    // Hold back our frames, then send them glued to the bundle's last bytes.
    const held: Uint8Array[] = [];
    const transport: Transport = {
      write: (data) => (held.push(data), true),
      onData: (listener) => child.stdout!.on("data", listener),
      onDrain: () => {},
      onClose: (listener) => child.stdout!.once("end", () => listener()),
      close: () => child.stdin!.end(),
    };
    const mux = new Mux(transport, { role: "client", keepaliveMs: 0 });
    await Bun.sleep(1);
    for (let i = 0; i < 6; i++) {
      child.stdin!.write(payload.subarray(i, i + 1)); // the length prefix, byte by byte
      await Bun.sleep(5);
    }
    child.stdin!.write(payload.subarray(6, payload.length - 10));
    await Bun.sleep(20);
    child.stdin!.write(Buffer.concat([payload.subarray(payload.length - 10), ...held]));
    transport.write = (data) => child.stdin!.write(data);
    expect((await mux.ready).info.pid).toBe(String(child.pid));
    expect((await mux.call("env", {})).env).toBeDefined();
    child.stdin!.end();
    expect(await new Promise((resolve) => child.once("exit", resolve))).toBe(0);
  });

  test("stdin ending before the bundle is complete exits 3 with a message", async () => {
    const argv = agentArgv(process.execPath);
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ["pipe", "ignore", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdin!.end(Buffer.from(agentPayload()).subarray(0, 100));
    expect(await new Promise((resolve) => child.once("exit", resolve))).toBe(3);
    expect(stderr).toContain("kfwd-agent: bootstrap: stdin ended after 100 bytes");
  });
});

describe("stdioTransport over Bun.spawn", () => {
  test("a Bun.spawn child works like a node child", async () => {
    const { stdioTransport } = await import("../../src/transport/stdio");
    const child = Bun.spawn(agentArgv(process.execPath), { stdin: "pipe", stdout: "pipe", stderr: "inherit" });
    const transport = stdioTransport(child);
    transport.write(agentPayload());
    const mux = new Mux(transport, { role: "client", keepaliveMs: 0 });
    expect((await mux.ready).info.pid).toBe(String(child.pid));
    expect(await mux.ping()).toBeGreaterThan(0);
    mux.close();
    expect(await child.exited).toBe(0);
  });
});
