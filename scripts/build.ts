/**
 * Build dist/agent.js (the agent bundle kfwd sends to every agent) and then dist/kfwd, one self-contained
 * binary with the bundle embedded. Run by `npm run build`, which the set-up and the test command call.
 */
import { $ } from "bun";

const root = new URL("..", import.meta.url).pathname;
await $`bun run ${root}scripts/build-agent.ts`.cwd(root);
await $`bun build --compile --minify --sourcemap ${root}src/cli.ts --outfile ${root}dist/kfwd`.cwd(root).quiet();
console.error(`built ${root}dist/kfwd`);
