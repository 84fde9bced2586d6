/**
 * Starting the agent with nothing installed in the cluster: kfwd runs `bun -e LOADER` (any image with Bun) and
 * writes `agentPayload()` — a 4-byte big-endian length and the agent bundle — to its stdin before the wire
 * protocol. The loader reads exactly that many bytes, evaluates the bundle in memory (the root filesystem may
 * be read-only and /tmp may not exist) and hands over stdin, including any protocol bytes it already read.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";

/**
 * Kept short and dependency-free: it travels on the command line of every agent start. `(0, eval)` evaluates the
 * CommonJS bundle (a function expression) in global scope; the bundle gets the loader's `require`.
 */
export const LOADER = [
  `const s=process.stdin,b=[];let n=0,L=-1,done=0;`,
  `const fail=m=>{process.stderr.write("kfwd-agent: bootstrap: "+m+"\\n");process.exit(3)};`,
  `const on=c=>{b.push(c);n+=c.length;`,
  `if(L<0&&n>=4){L=Buffer.concat(b).readUInt32BE(0)}`,
  `if(L<0||n<4+L)return;`,
  `done=1;s.off("data",on);s.pause();`,
  `const a=Buffer.concat(b,n);globalThis.__kfwdAgentLeftover=a.subarray(4+L);`,
  `const m={exports:{}};let f;try{f=(0,eval)(a.toString("utf8",4,4+L))}catch(e){fail("cannot evaluate the agent: "+e)}`,
  `f(m.exports,require,m,"/kfwd-agent.js","/")};`,
  `s.on("data",on);s.once("end",()=>{if(!done)fail("stdin ended after "+n+" bytes, before the agent bundle was complete")});`,
].join("");

/** The command that starts an agent: `bunPath -e LOADER`. The agent bundle follows on stdin (`agentPayload`). */
export function agentArgv(bunPath = "bun"): string[] {
  return [bunPath, "-e", LOADER];
}

let payload: Uint8Array | undefined;

/** The first bytes to write to a freshly started agent: length (u32 BE) + bundle. */
export function agentPayload(): Uint8Array {
  if (!payload) {
    const bundle = Buffer.from(agentJs);
    const out = Buffer.allocUnsafe(4 + bundle.length);
    out.writeUInt32BE(bundle.length, 0);
    bundle.copy(out, 4);
    payload = out;
  }
  return payload;
}

const root = resolve(import.meta.dir, "..", "..");
const bundlePath = join(root, "dist", "agent.js");

/**
 * From a source checkout: dist/agent.js, rebuilt when missing or older than any file the last build read (the
 * bundler's own list, written beside the bundle). Inside `bun build --compile` output there is no checkout; the
 * bundle is embedded by the import below (scripts/build-agent.ts must have run before compiling).
 */
async function loadAgentJs(): Promise<string> {
  if (existsSync(join(root, "agent", "main.ts"))) {
    if (isStale()) {
      const { buildAgent } = await import("../../scripts/build-agent");
      return await buildAgent(bundlePath);
    }
    return readFileSync(bundlePath, "utf8");
  }
  const embedded = (await import("../../dist/agent.js", { with: { type: "text" } })) as { default: string };
  return embedded.default;
}

function isStale(): boolean {
  const inputs = `${bundlePath}.inputs.json`;
  if (!existsSync(bundlePath) || !existsSync(inputs)) return true;
  const built = statSync(bundlePath).mtimeMs;
  const files: unknown = JSON.parse(readFileSync(inputs, "utf8"));
  if (!Array.isArray(files)) return true;
  return files.some(
    (file) => typeof file !== "string" || !existsSync(join(root, file)) || statSync(join(root, file)).mtimeMs > built,
  );
}

const agentJs = await loadAgentJs();
