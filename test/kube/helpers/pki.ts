/** Throwaway certificates for tests, made with the openssl CLI: a CA, a server cert (localhost, 127.0.0.1), a client cert. */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestPki {
  dir: string;
  caCrt: string;
  serverCrt: string;
  serverKey: string;
  clientCrt: string;
  clientKey: string;
  /** A second CA that signed nothing we use: for "unknown authority" tests. */
  otherCaCrt: string;
  paths: { ca: string; clientCrt: string; clientKey: string; otherCa: string };
}

export const hasOpenssl = Bun.which("openssl") !== null;

function openssl(dir: string, args: string[]): void {
  const r = Bun.spawnSync(["openssl", ...args], { cwd: dir, stdout: "ignore", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr.toString()}`);
}

export function makePki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), "kfwd-pki-"));
  const key = (name: string) =>
    openssl(dir, ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", name]);
  for (const ca of ["ca", "other-ca"]) {
    key(`${ca}.key`);
    openssl(dir, [
      "req",
      "-x509",
      "-new",
      "-key",
      `${ca}.key`,
      "-out",
      `${ca}.crt`,
      "-days",
      "2",
      "-subj",
      `/CN=${ca}`,
    ]);
  }
  writeFileSync(join(dir, "server.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
  writeFileSync(join(dir, "client.ext"), "extendedKeyUsage=clientAuth\n");
  for (const [name, subj] of [
    ["server", "/CN=localhost"],
    ["client", "/CN=alice/O=dev"],
  ] as const) {
    key(`${name}.key`);
    openssl(dir, ["req", "-new", "-key", `${name}.key`, "-out", `${name}.csr`, "-subj", subj]);
    openssl(dir, [
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      `${name}.crt`,
      "-days",
      "2",
      "-extfile",
      `${name}.ext`,
    ]);
  }
  const rd = (f: string) => readFileSync(join(dir, f), "utf8");
  return {
    dir,
    caCrt: rd("ca.crt"),
    serverCrt: rd("server.crt"),
    serverKey: rd("server.key"),
    clientCrt: rd("client.crt"),
    clientKey: rd("client.key"),
    otherCaCrt: rd("other-ca.crt"),
    paths: {
      ca: join(dir, "ca.crt"),
      clientCrt: join(dir, "client.crt"),
      clientKey: join(dir, "client.key"),
      otherCa: join(dir, "other-ca.crt"),
    },
  };
}
