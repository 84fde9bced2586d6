/**
 * `kfwd completion bash|zsh|fish`, loaded into the real shells and asked to complete, as a user's TAB would:
 * bash through its completion function (COMP_WORDS/COMP_CWORD set), zsh through compsys in a pseudo-terminal
 * (test/fixtures/zsh-complete.zsh), fish through `complete -C`. Each shell must offer the same words.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { kfwd } from "../helpers/kfwd";

const COMMANDS = ["run", "env", "up", "status", "down", "doctor", "clean", "schema", "completion", "init", "ls"];

/** Line typed → words the completion must offer (`exactly`) or include (`has`), and must not (`not`). */
const CASES: { line: string; exactly?: string[]; has?: string[]; not?: string[] }[] = [
  { line: "kfwd ", has: COMMANDS, not: ["_session"] },
  { line: "kfwd ru", exactly: ["run"] },
  { line: "kfwd env -f ", exactly: ["sh", "fish", "powershell", "dotenv", "json"] },
  { line: "kfwd env --for", exactly: ["--format"] },
  { line: "kfwd doctor --no", exactly: ["--no-run-check"] },
  { line: "kfwd run ", exactly: ["shop.toml", "sub"] },
  { line: "kfwd clean --kubeconfig ", exactly: ["notes.txt", "shop.toml", "sub"] },
  { line: "kfwd run shop.toml -- cur", has: ["curl"], not: ["shop.toml"] },
  { line: "kfwd completion ", exactly: ["bash", "zsh", "fish"] },
  { line: "kfwd ls --js", exactly: ["--json"] },
  { line: "kfwd init --out ", exactly: ["notes.txt", "shop.toml", "sub"] },
];

let dir: string;
const scripts: Record<string, string> = {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "kfwd-completion-"));
  const scriptDir = mkdtempSync(join(tmpdir(), "kfwd-completion-scripts-"));
  for (const f of ["shop.toml", "notes.txt"]) writeFileSync(join(dir, f), "");
  mkdirSync(join(dir, "sub"));
  for (const shell of ["bash", "zsh", "fish"]) {
    const r = await kfwd(["completion", shell]);
    expect(r.code).toBe(0);
    scripts[shell] = join(scriptDir, `${shell}-completion`);
    writeFileSync(scripts[shell], r.stdout);
  }
});

function run(argv: string[]): string {
  const r = Bun.spawnSync(argv, { cwd: dir, stdout: "pipe", stderr: "pipe", env: { ...process.env, TERM: "dumb" } });
  if (r.exitCode !== 0) throw new Error(`${argv.join(" ")} exited ${r.exitCode}: ${r.stderr.toString()}`);
  return r.stdout.toString();
}

/** Words as a user sees them: no fish descriptions, no trailing slash on directories, no duplicates. */
const words = (out: string) => [
  ...new Set(
    out
      .split("\n")
      .map((l) => l.split("\t")[0]?.trim().replace(/\/$/, "") ?? "")
      .filter((w) => w !== ""),
  ),
];

const complete: Record<string, (line: string) => string[]> = {
  bash: (line) => {
    const parts = line.split(" ");
    const setWords = `COMP_WORDS=(${parts.map((p) => `'${p}'`).join(" ")}); COMP_CWORD=${parts.length - 1}`;
    return words(
      run(["bash", "-c", `source '${scripts.bash}'; ${setWords}; _kfwd; printf '%s\\n' "\${COMPREPLY[@]}"`]),
    );
  },
  zsh: (line) =>
    words(
      run(["zsh", "-f", join(import.meta.dir, "../fixtures/zsh-complete.zsh"), scripts.zsh as string, line])
        .split("\n")
        .map((l) => l.replace(/^HIT:/, ""))
        .join("\n"),
    ),
  fish: (line) => words(run(["fish", "--no-config", "-c", `source '${scripts.fish}'; complete -C '${line}'`])),
};

const have = (shell: string) => Bun.which(shell) !== null;

for (const shell of ["bash", "zsh", "fish"]) {
  describe.skipIf(!have(shell))(`${shell} completion`, () => {
    for (const c of CASES) {
      test(JSON.stringify(c.line), () => {
        const got = complete[shell]!(c.line);
        if (c.exactly) expect(got.sort()).toEqual([...c.exactly].sort());
        for (const w of c.has ?? []) expect(got).toContain(w);
        for (const w of c.not ?? []) expect(got).not.toContain(w);
      }, 30_000);
    }
  });
}

test("kfwd completion with an unknown shell names the ones it knows", async () => {
  const r = await kfwd(["completion", "tcsh"]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain("unknown shell");
  expect(r.stderr).toContain("bash, zsh, fish");
});
