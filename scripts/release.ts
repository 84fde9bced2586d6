/**
 * Builds kfwd for every platform and packs the npm packages, the way npm packages of native CLIs ship:
 *   - @kfwd/<os>-<cpu>: one compiled binary (bin/kfwd) and the profile JSON Schema; `os`/`cpu` let npm
 *     install only the one matching the machine;
 *   - kfwd: the launcher (bin/kfwd.js) with every platform package as an optional dependency, the schema,
 *     README and config.example.toml.
 * Output in dist/release (or --out): the binaries (kfwd-<os>-<cpu>), the .tgz files and SHA256SUMS for both.
 *
 *   npm run release                                  every platform
 *   npm run release -- --targets linux-x64,linux-arm64
 *   npm run release -- --targets linux-x64 --from-build  pack dist/kfwd (npm run build) instead of compiling
 */
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { $ } from "bun";
import { SCHEMA_FILE } from "../src/profile/json-schema";

const root = resolve(import.meta.dir, "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  version: string;
  description: string;
  license: string;
};

/** npm's os/cpu names → Bun's compile target. */
export const PLATFORMS = {
  "linux-x64": { os: "linux", cpu: "x64", bun: "bun-linux-x64" },
  "linux-arm64": { os: "linux", cpu: "arm64", bun: "bun-linux-arm64" },
  "darwin-x64": { os: "darwin", cpu: "x64", bun: "bun-darwin-x64" },
  "darwin-arm64": { os: "darwin", cpu: "arm64", bun: "bun-darwin-arm64" },
} as const;
export type Platform = keyof typeof PLATFORMS;

const { values } = parseArgs({
  options: {
    targets: { type: "string", default: Object.keys(PLATFORMS).join(",") },
    out: { type: "string", default: join(root, "dist", "release") },
    "from-build": { type: "boolean", default: false },
  },
  strict: true,
});
const targets = (values.targets ?? "").split(",").filter((t) => t !== "") as Platform[];
for (const t of targets)
  if (!(t in PLATFORMS)) throw new Error(`unknown target "${t}": ${Object.keys(PLATFORMS).join(", ")}`);
const out = resolve(values.out ?? "");
const host = `${process.platform}-${process.arch}`;
if (values["from-build"] && targets.some((t) => t !== host))
  throw new Error(`--from-build packs dist/kfwd, which is built for ${host} only`);

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const schema = join(root, "schema", SCHEMA_FILE);

await $`bun run ${join(root, "scripts/build-agent.ts")}`.cwd(root).quiet();
for (const t of targets) {
  const binary = join(out, `kfwd-${t}`);
  if (values["from-build"]) copyFileSync(join(root, "dist", "kfwd"), binary);
  else {
    // Bun fetches the target's runtime (@oven/bun-<os>-<cpu> from the npm registry) on first use.
    await $`bun build --compile --minify --sourcemap --target=${PLATFORMS[t].bun} ${join(root, "src/cli.ts")} --outfile ${binary}`
      .cwd(root)
      .quiet();
  }
  chmodSync(binary, 0o755);
  const dir = join(out, "npm", t);
  mkdirSync(join(dir, "bin"), { recursive: true });
  mkdirSync(join(dir, "schema"), { recursive: true });
  copyFileSync(binary, join(dir, "bin", "kfwd"));
  chmodSync(join(dir, "bin", "kfwd"), 0o755);
  copyFileSync(schema, join(dir, "schema", SCHEMA_FILE));
  writeJson(join(dir, "package.json"), {
    name: `@kfwd/${t}`,
    version: pkg.version,
    description: `The kfwd binary for ${t}. Install kfwd instead: npm install -g kfwd`,
    license: pkg.license,
    os: [PLATFORMS[t].os],
    cpu: [PLATFORMS[t].cpu],
    files: ["bin", "schema"],
    preferUnplugged: true,
  });
  console.error(`built ${binary}`);
}

const main = join(out, "npm", "kfwd");
mkdirSync(join(main, "bin"), { recursive: true });
mkdirSync(join(main, "schema"), { recursive: true });
copyFileSync(join(root, "packaging", "kfwd.js"), join(main, "bin", "kfwd.js"));
chmodSync(join(main, "bin", "kfwd.js"), 0o755);
copyFileSync(schema, join(main, "schema", SCHEMA_FILE));
for (const f of ["README.md", "config.example.toml"]) copyFileSync(join(root, f), join(main, f));
writeJson(join(main, "package.json"), {
  name: "kfwd",
  version: pkg.version,
  description: pkg.description,
  license: pkg.license,
  bin: { kfwd: "bin/kfwd.js" },
  files: ["bin", "schema", "README.md", "config.example.toml"],
  engines: { node: ">=18" },
  optionalDependencies: Object.fromEntries(Object.keys(PLATFORMS).map((t) => [`@kfwd/${t}`, pkg.version])),
});

for (const dir of [...targets.map((t) => join(out, "npm", t)), main])
  await $`npm pack --silent --pack-destination ${out}`.cwd(dir).quiet();

// One line per file, `sha256sum -c SHA256SUMS` checks them.
const files = readdirSync(out)
  .filter((f) => f.startsWith("kfwd-") || f.endsWith(".tgz"))
  .sort();
const sums = files.map(
  (f) =>
    `${createHash("sha256")
      .update(readFileSync(join(out, f)))
      .digest("hex")}  ${f}`,
);
writeFileSync(join(out, "SHA256SUMS"), `${sums.join("\n")}\n`);
console.error(`wrote ${out}: ${files.join(", ")}, SHA256SUMS`);

function writeJson(path: string, value: unknown): void {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}
