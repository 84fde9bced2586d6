/**
 * The host side treats every path from the agent as hostile: an archive (as a rogue agent could send it) with
 * escaping, relative, foreign and NUL paths writes nothing outside the copy, and a link planted inside the copy
 * is replaced, never followed.
 */
import { afterEach, expect, test } from "bun:test";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Duplex } from "node:stream";
import { encodeDelete, encodeDir, encodeFileHead, encodeSynced } from "../../../wire/files";
import { HostCopy } from "../../../src/capabilities/files/host-copy";
import { type ReceiveCounters, receiveFiles } from "../../../src/capabilities/files/receive";

const dirs: string[] = [];
const temp = (name: string) => {
  const d = mkdtempSync(join(tmpdir(), name));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** An agent that answers with `records`, whatever it is asked. */
function agentStream(records: Buffer[]): Duplex {
  const stream = new Duplex({ read() {}, write: (_c, _e, cb) => cb() });
  for (const r of records) stream.push(r);
  stream.push(null);
  return stream;
}

const file = (path: string, content: string) => [encodeFileHead(path, 0o644, content.length), Buffer.from(content)];

test("escaping, relative, foreign and NUL paths are refused; a planted link is replaced, not followed", async () => {
  const root = temp("kfwd-copy-");
  const outside = temp("kfwd-outside-");
  // A link inside the copy pointing out of it (as if left there by someone): writing through it would escape.
  mkdirSync(join(root, "etc/config"), { recursive: true });
  symlinkSync(outside, join(root, "etc/config/linked"));
  const copy = new HostCopy(root, ["/etc/config"]);
  const counters: ReceiveCounters = { files: 0, dirs: 0, bytes: 0, deleted: 0, refused: 0, updates: 0 };
  const refused: string[] = [];
  const stream = agentStream([
    ...file("/etc/config/../../../../../../tmp/kfwd-pwned", "x"),
    ...file("etc/config/relative", "x"),
    ...file("/etc/passwd", "x"),
    ...file("/etc/config/a\0b", "x"),
    ...file("/etc/config//double", "x"),
    encodeDir("/etc/config/..", 0o755),
    encodeDelete("/etc/config/../../.."),
    ...file("/etc/config/linked/through-link", "through"),
    ...file("/etc/config/ok.yaml", "fine"),
    encodeSynced(),
  ]);
  await receiveFiles(stream, { roots: ["/etc/config"], exclude: [], watch: false }, copy, counters, {
    synced() {},
    skipped() {},
    refused: (path) => refused.push(path),
  });
  expect(refused.length).toBe(7);
  expect(counters.refused).toBe(7);
  expect(existsSync("/tmp/kfwd-pwned")).toBe(false);
  expect(readdirSync(outside)).toEqual([]);
  expect(lstatSync(join(root, "etc/config/linked")).isDirectory()).toBe(true);
  expect(readFileSync(join(root, "etc/config/linked/through-link"), "utf8")).toBe("through");
  expect(readFileSync(join(root, "etc/config/ok.yaml"), "utf8")).toBe("fine");
  expect(lstatSync(join(root, "etc/config/ok.yaml")).mode & 0o777).toBe(0o600);
});

test("a stream that ends before the copy is complete is an error that says so", async () => {
  const root = temp("kfwd-copy-");
  const copy = new HostCopy(root, ["/a"]);
  const counters: ReceiveCounters = { files: 0, dirs: 0, bytes: 0, deleted: 0, refused: 0, updates: 0 };
  const cut = encodeFileHead("/a/big", 0o644, 1000);
  const run = receiveFiles(
    agentStream([cut, Buffer.alloc(10)]),
    { roots: ["/a"], exclude: [], watch: false },
    copy,
    counters,
    {
      synced() {},
      skipped() {},
      refused() {},
    },
  );
  await expect(run).rejects.toThrow("before the copy was complete");
  // The half-received file left no temporary behind.
  expect(readdirSync(join(root, "a"))).toEqual([]);
});
