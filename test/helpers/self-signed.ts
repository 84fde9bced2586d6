/** A self-signed certificate for a TLS server the tests start (openssl), written as cert.pem and key.pem. */
import { spawnSync } from "node:child_process";
import { join } from "node:path";

export function selfSignedCert(dir: string, name: string): { cert: string; key: string } {
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  const r = spawnSync(
    "openssl",
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", `/CN=${name}`].concat([
      "-addext",
      `subjectAltName=DNS:${name}`,
      "-keyout",
      key,
      "-out",
      cert,
    ]),
    { encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(`openssl req: ${r.stderr}`);
  return { cert, key };
}
