/**
 * Bundles the agent (agent/main.ts and the wire code it imports) into one minified file, dist/agent.js, that
 * the bootstrap loader evaluates inside the pod. CommonJS, because the loader runs it with `new Function`
 * (no file is written in the pod) and that cannot evaluate `import` statements; `require` is passed in.
 * Beside it, `<outfile>.inputs.json` lists the source files the bundler read (its metafile): the stale-bundle
 * check and the agent-imports-only-the-protocol test take them from there rather than from a hand-kept list.
 *
 *   bun run scripts/build-agent.ts [outfile]
 */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

const root = resolve(import.meta.dir, "..");

export async function buildAgent(outfile = join(root, "dist", "agent.js")): Promise<string> {
  const result = await Bun.build({
    entrypoints: [join(root, "agent", "main.ts")],
    target: "bun",
    format: "cjs",
    minify: true,
    metafile: true,
  });
  if (!result.success) {
    throw new Error(`agent bundle failed:\n${result.logs.map((l) => String(l)).join("\n")}`);
  }
  const output = result.outputs[0];
  if (!output) throw new Error("agent bundle produced no output");
  const text = await output.text();
  mkdirSync(dirname(outfile), { recursive: true });
  // Write then rename: concurrent builds (parallel test files) never see a half-written bundle.
  writeAtomically(
    inputsPath(outfile),
    `${JSON.stringify(Object.keys(result.metafile?.inputs ?? {}).sort(), null, 1)}\n`,
  );
  writeAtomically(outfile, text);
  return text;
}

/** The bundle's source files, relative to the repository root (written by `buildAgent`). */
export const inputsPath = (outfile: string): string => `${outfile}.inputs.json`;

function writeAtomically(path: string, text: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
}

if (import.meta.main) {
  const outfile = process.argv[2] ?? join(root, "dist", "agent.js");
  const text = await buildAgent(outfile);
  console.error(`wrote ${outfile} (${text.length} bytes)`);
}
