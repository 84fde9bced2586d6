/**
 * A read-only npm registry on 127.0.0.1 serving the .tgz files of a directory (npm run release's output):
 * `npm install -g --registry <url> kfwd` then installs the packed kfwd exactly as it would from npmjs.org —
 * the launcher, and the platform binary chosen by npm from os/cpu — before anything is published. Names it
 * does not hold are answered 404, so npm never falls through to another registry for them.
 *
 *   bun run scripts/local-registry.ts [dir=dist/release]      prints the URL, serves until interrupted
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

interface Manifest {
  name: string;
  version: string;
  [key: string]: unknown;
}

export function serveLocalRegistry(dir: string): { url: string; stop: () => void } {
  const packages = new Map<string, { manifest: Manifest; file: string; integrity: string; shasum: string }>();
  for (const f of readdirSync(dir).filter((x) => x.endsWith(".tgz"))) {
    const file = join(dir, f);
    const r = Bun.spawnSync(["tar", "-xzOf", file, "package/package.json"], { stdout: "pipe", stderr: "pipe" });
    if (r.exitCode !== 0) throw new Error(`${file}: no package/package.json: ${r.stderr.toString()}`);
    const manifest = JSON.parse(r.stdout.toString()) as Manifest;
    const bytes = readFileSync(file);
    packages.set(manifest.name, {
      manifest,
      file,
      integrity: `sha512-${createHash("sha512").update(bytes).digest("base64")}`,
      shasum: createHash("sha1").update(bytes).digest("hex"),
    });
  }
  const server: Bun.Server<undefined> = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req): Response {
      const path = decodeURIComponent(new URL(req.url).pathname.slice(1));
      const tarball = /^(.+)\/-\/[^/]+\.tgz$/.exec(path);
      const entry = packages.get(tarball ? (tarball[1] ?? "") : path);
      if (!entry) return new Response('{"error":"not found"}', { status: 404 });
      if (tarball) return new Response(Bun.file(entry.file));
      const { manifest } = entry;
      const base: string = `http://127.0.0.1:${server.port}`;
      const short = manifest.name.split("/").pop();
      return Response.json({
        name: manifest.name,
        "dist-tags": { latest: manifest.version },
        versions: {
          [manifest.version]: {
            ...manifest,
            dist: {
              tarball: `${base}/${manifest.name}/-/${short}-${manifest.version}.tgz`,
              integrity: entry.integrity,
              shasum: entry.shasum,
            },
          },
        },
      });
    },
  });
  return { url: `http://127.0.0.1:${server.port}/`, stop: () => server.stop(true) };
}

if (import.meta.main) {
  const dir = resolve(process.argv[2] ?? join(import.meta.dir, "..", "dist", "release"));
  const { url } = serveLocalRegistry(dir);
  console.log(url);
  console.error(`serving ${dir}; install with: npm install -g --registry ${url} kfwd`);
}
