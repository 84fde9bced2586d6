/**
 * Opening the exec WebSocket, and explaining why it did not open. Bun's WebSocket reports a refused upgrade
 * only as "Expected 101 status code: 403", without the body; the Status with the real reason (RBAC rule,
 * missing pod or container) is fetched by repeating the request as plain GET and POST, which the API server
 * authorizes and validates the same way (the WebSocket upgrade needs both `get` and `create` on pods/exec).
 */
import { KfwdError } from "../errors";
import { connectError } from "./api-errors";
import { toSearchParams, type KubeClient } from "./client";
import type { ExecProtocol } from "./exec-protocol";

type OpenOptions = {
  protocols: readonly ExecProtocol[];
  timeoutMs: number;
  what: string;
  /** What is being opened, for messages: "an exec stream" (default), "a port-forward stream". */
  subject?: string;
};

export async function openExecSocket(
  client: KubeClient,
  path: string,
  query: Record<string, string | string[]>,
  opts: OpenOptions,
  retried = false,
): Promise<WebSocket> {
  const conn = await client.streamConnection();
  const url = `${conn.base}${path}?${toSearchParams(query).toString()}`;
  const tls = {
    rejectUnauthorized: conn.tls.rejectUnauthorized,
    ...(conn.tls.ca ? { ca: conn.tls.ca } : {}),
    ...(conn.tls.serverName ? { serverName: conn.tls.serverName } : {}),
    ...(conn.tls.cert ? { cert: conn.tls.cert } : {}),
    ...(conn.tls.key ? { key: conn.tls.key } : {}),
  };
  const ws = new WebSocket(url, {
    protocols: [...opts.protocols],
    headers: { ...conn.headers, "User-Agent": "kfwd" },
    tls,
    perMessageDeflate: false,
    ...(conn.proxy ? { proxy: conn.proxy } : {}),
  });
  const failure = await new Promise<{ message: string; error: unknown } | undefined>((resolve) => {
    const timer = setTimeout(() => {
      ws.terminate();
      resolve({
        message: `no answer within ${opts.timeoutMs} ms`,
        error: Object.assign(new Error("timed out"), { code: "ETIMEDOUT" }),
      });
    }, opts.timeoutMs);
    ws.addEventListener(
      "open",
      () => {
        clearTimeout(timer);
        resolve(undefined);
      },
      { once: true },
    );
    ws.addEventListener(
      "error",
      (ev) => {
        clearTimeout(timer);
        const e = ev as ErrorEvent & { error?: unknown };
        resolve({ message: e.message, error: e.error ?? new Error(e.message) });
      },
      { once: true },
    );
  });
  if (!failure) {
    if (!(opts.protocols as readonly string[]).includes(ws.protocol)) {
      ws.close();
      throw new KfwdError(
        "KFWD_EXEC_PROTOCOL",
        `Cannot open ${opts.subject ?? "an exec stream"} to ${opts.what}: the API server chose subprotocol "${ws.protocol}", not one of ${opts.protocols.join(", ")}`,
        "kfwd needs Kubernetes 1.29 or later (v4/v5 remote-command protocols).",
      );
    }
    return ws;
  }
  const status = /Expected 101 status code: (\d+)/.exec(failure.message)?.[1];
  if (status === undefined) throw connectError(failure.error, client.errorContext(conn.auth));
  if (status === "401" && !retried && client.invalidateCredentials())
    return openExecSocket(client, path, query, opts, true);
  await diagnose(client, path, query);
  throw new KfwdError(
    "KFWD_EXEC_REFUSED",
    `Cannot open ${opts.subject ?? "an exec stream"} to ${opts.what}: the API server answered ${status} to the WebSocket upgrade`,
    "Check that the API server (and any proxy in between) allows WebSocket upgrades.",
  );
}

/** Throws the API server's own error for this exec request, if it has one. */
async function diagnose(client: KubeClient, path: string, query: Record<string, string | string[]>): Promise<void> {
  for (const method of ["GET", "POST"]) {
    try {
      await client.request(method, path, { query, timeoutMs: 10_000 });
    } catch (e) {
      // 400 "Upgrade request required" means the request itself is fine.
      if (e instanceof KfwdError && !/upgrade request required/i.test(e.message)) throw e;
    }
  }
}
