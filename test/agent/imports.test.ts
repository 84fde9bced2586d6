/**
 * The agent is built from `agent/` and the protocol module `wire/` only: host code pulled into the bundle would
 * grow what every agent start sends, and tie the agent to the CLI. The bundler's own list of inputs decides.
 */
import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildAgent, inputsPath } from "../../scripts/build-agent";

test("the agent bundle is made of agent/ and wire/ files only", async () => {
  const dir = mkdtempSync(join(tmpdir(), "kfwd-agent-"));
  try {
    const outfile = join(dir, "agent.js");
    await buildAgent(outfile);
    const inputs = JSON.parse(readFileSync(inputsPath(outfile), "utf8")) as string[];
    expect(inputs).toContain("agent/main.ts");
    expect(inputs).toContain("wire/mux.ts");
    expect(inputs.filter((file) => !file.startsWith("agent/") && !file.startsWith("wire/"))).toEqual([]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
