/**
 * A stand-in API server on 127.0.0.1 for unit tests: HTTPS that requires a client certificate from the test
 * CA, a few REST answers, and an exec WebSocket speaking v4/v5.channel.k8s.io whose "command" is played by
 * the server: `cat` echoes stdin to stdout, `fail` writes to stderr and exits 3.
 * The lab tests (`*.lab.test.ts`) run the same client code against a real kube-apiserver.
 */
import type { Server, ServerWebSocket } from "bun";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TestPki } from "./pki";

export interface FakeApiServer {
  server: Server<ExecSession>;
  url: string;
  /** A kubeconfig with contexts `cert` (client cert), `token` (+ client cert), `nocert`, `badca`. */
  kubeconfig: string;
  requests: { method: string; path: string; auth: string | null }[];
  stop(): void;
}

interface ExecSession {
  command: string[];
  protocol: string;
  received: number;
}

const status = (code: number, reason: string, message: string) =>
  Response.json({ kind: "Status", apiVersion: "v1", status: "Failure", message, reason, code }, { status: code });

export function startFakeApiServer(pki: TestPki): FakeApiServer {
  const requests: FakeApiServer["requests"] = [];
  const server = Bun.serve<ExecSession>({
    hostname: "127.0.0.1",
    port: 0,
    tls: { cert: pki.serverCrt, key: pki.serverKey, ca: pki.caCrt, requestCert: true, rejectUnauthorized: true },
    fetch(req, srv) {
      const url = new URL(req.url);
      const auth = req.headers.get("authorization");
      requests.push({ method: req.method, path: url.pathname + url.search, auth });
      if (auth === "Bearer EXPIRED-SECRET") return status(401, "Unauthorized", "Unauthorized");
      const p = url.pathname;
      if (p === "/api/v1/namespaces/ns/pods" && url.searchParams.get("watch") === "true") {
        const lines = [
          { type: "ADDED", object: { metadata: { name: "a", resourceVersion: "11" } } },
          { type: "MODIFIED", object: { metadata: { name: "a", resourceVersion: "12" } } },
          {
            type: "ERROR",
            object: { kind: "Status", code: 410, reason: "Expired", message: "too old resource version: 1 (5)" },
          },
        ];
        return new Response(`${lines.map((l) => JSON.stringify(l)).join("\n")}\n`);
      }
      if (p === "/api/v1/namespaces/ns/pods")
        return Response.json({
          kind: "PodList",
          metadata: { resourceVersion: "10" },
          items: [{ metadata: { name: "a" } }],
        });
      if (p === "/api/v1/namespaces/ns/pods/missing") return status(404, "NotFound", 'pods "missing" not found');
      if (p.startsWith("/api/v1/namespaces/locked/")) {
        const verb = req.method === "POST" ? "create" : "get";
        const m = /pods\/([^/]+)(?:\/(\w+))?/.exec(p);
        const resource = m?.[2] ? `pods/${m[2]}` : "pods";
        return status(
          403,
          "Forbidden",
          `pods "${m?.[1]}" is forbidden: User "alice" cannot ${verb} resource "${resource}" in API group "" in the namespace "locked"`,
        );
      }
      if (p === "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews" && req.method === "POST") {
        return req.json().then((body) => {
          const a = (body as { spec: { resourceAttributes: { verb: string; resource: string; subresource?: string } } })
            .spec.resourceAttributes;
          return Response.json(
            {
              ...(body as object),
              status: { allowed: a.resource === "pods" && a.subresource === "exec" && a.verb === "create" },
            },
            { status: 201 },
          );
        });
      }
      const exec = /^\/api\/v1\/namespaces\/ns\/pods\/([^/]+)\/exec$/.exec(p);
      if (exec) {
        if (req.headers.get("upgrade")?.toLowerCase() !== "websocket")
          return status(400, "BadRequest", "Upgrade request required");
        const offered = (req.headers.get("sec-websocket-protocol") ?? "").split(",").map((s) => s.trim());
        const protocol = ["v5.channel.k8s.io", "v4.channel.k8s.io"].find((x) => offered.includes(x));
        if (!protocol) return status(400, "BadRequest", "no supported protocol");
        if (
          srv.upgrade(req, {
            data: { command: url.searchParams.getAll("command"), protocol, received: 0 },
            headers: { "Sec-WebSocket-Protocol": protocol },
          })
        )
          return undefined;
        return status(500, "InternalError", "upgrade failed");
      }
      return status(404, "NotFound", "the server could not find the requested resource");
    },
    websocket: {
      maxPayloadLength: 1 << 20,
      open(ws: ServerWebSocket<ExecSession>) {
        if (ws.data.command[0] === "fail") {
          ws.sendBinary(new Uint8Array([2, ...new TextEncoder().encode("boom 1\nboom 2\npartial")]));
          const st = {
            kind: "Status",
            status: "Failure",
            reason: "NonZeroExitCode",
            message: "command terminated with non-zero exit code: error executing command [fail], exit code 3",
            details: { causes: [{ reason: "ExitCode", message: "3" }] },
          };
          ws.sendBinary(new Uint8Array([3, ...new TextEncoder().encode(JSON.stringify(st))]));
          ws.close(1000);
        }
        if (ws.data.command[0] === "exit0") {
          ws.sendBinary(new Uint8Array([3, ...new TextEncoder().encode('{"metadata":{},"status":"Success"}')]));
          ws.close(1000);
        }
      },
      message(ws, message) {
        if (typeof message === "string") return;
        const channel = message[0];
        if (channel === 0) {
          ws.data.received += message.byteLength - 1;
          if (message.byteLength > 32 * 1024 + 1) throw new Error(`stdin message too large: ${message.byteLength}`);
          const out = new Uint8Array(message);
          out[0] = 1;
          ws.sendBinary(out);
        } else if (channel === 255 && message[1] === 0) {
          ws.sendBinary(new Uint8Array([3, ...new TextEncoder().encode('{"metadata":{},"status":"Success"}')]));
          ws.close(1000);
        }
      },
    },
  });
  const url = `https://127.0.0.1:${server.port}`;
  const kubeconfig = join(pki.dir, "kubeconfig");
  const b64 = (s: string) => Buffer.from(s).toString("base64");
  writeFileSync(
    kubeconfig,
    `apiVersion: v1
kind: Config
current-context: cert
clusters:
- name: fake
  cluster: { server: "${url}", certificate-authority: ca.crt }
- name: fake-other-ca
  cluster: { server: "${url}", certificate-authority: other-ca.crt }
- name: fake-localhost
  cluster: { server: "https://localhost:${server.port}", certificate-authority-data: ${b64(pki.caCrt)}, tls-server-name: kubernetes }
- name: closed
  cluster: { server: "https://127.0.0.1:1", certificate-authority: ca.crt }
users:
- name: alice
  user: { client-certificate: client.crt, client-key: client.key }
- name: alice-expired-token
  user: { client-certificate-data: ${b64(pki.clientCrt)}, client-key-data: ${b64(pki.clientKey)}, token: EXPIRED-SECRET }
contexts:
- name: cert
  context: { cluster: fake, user: alice, namespace: ns }
- name: expired
  context: { cluster: fake, user: alice-expired-token, namespace: ns }
- name: nocert
  context: { cluster: fake, namespace: ns }
- name: badca
  context: { cluster: fake-other-ca, user: alice, namespace: ns }
- name: wrongname
  context: { cluster: fake-localhost, user: alice, namespace: ns }
- name: closed
  context: { cluster: closed, user: alice }
`,
  );
  return { server, url, kubeconfig, requests, stop: () => server.stop(true) };
}
