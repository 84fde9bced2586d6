/**
 * Exec credential plugins (client.authentication.k8s.io v1 and v1beta1), run on the host as kubectl runs
 * them: the command with its args and env plus KUBERNETES_EXEC_INFO; stdin only when interactive; the
 * plugin's stderr goes to ours (it may prompt there). Output is an ExecCredential whose status holds a
 * token or a client certificate and key. Results are cached until their expirationTimestamp.
 */
import { KfwdError } from "../errors";
import type { ExecPluginConfig, KubeCluster } from "./kubeconfig-types";

export const EXEC_API_VERSIONS = ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"] as const;

export interface ExecCredentialStatus {
  readonly token?: string;
  readonly clientCertificateData?: string;
  readonly clientKeyData?: string;
  /** Epoch ms; undefined means valid until the server rejects it. */
  readonly expiresAt?: number;
}

interface CacheEntry {
  promise: Promise<ExecCredentialStatus>;
}

/** Shared by every client in this process, keyed by the plugin's configuration (as client-go does). */
const cache = new Map<string, CacheEntry>();

export function clearExecPluginCache(): void {
  cache.clear();
}

export interface ExecPluginOptions {
  /** Cluster details, sent only when the kubeconfig sets provideClusterInfo. */
  cluster?: KubeCluster;
  /** Defaults to whether our stdin is a terminal. */
  stdinIsTTY?: boolean;
  /** Ignore the cached result (after the server answered 401). */
  refresh?: boolean;
  now?: () => number;
}

export async function execPluginCredential(
  config: ExecPluginConfig,
  opts: ExecPluginOptions = {},
): Promise<ExecCredentialStatus> {
  const now = opts.now ?? Date.now;
  const key = JSON.stringify([config, opts.cluster?.server ?? ""]);
  const hit = cache.get(key);
  if (hit && !opts.refresh) {
    try {
      const status = await hit.promise;
      if (status.expiresAt === undefined || status.expiresAt > now()) return status;
    } catch {
      // a failed run is not cached: run again
    }
  }
  const entry: CacheEntry = { promise: runPlugin(config, opts) };
  cache.set(key, entry);
  entry.promise.catch(() => {
    if (cache.get(key) === entry) cache.delete(key);
  });
  return entry.promise;
}

async function runPlugin(config: ExecPluginConfig, opts: ExecPluginOptions): Promise<ExecCredentialStatus> {
  const name = `exec credential plugin "${config.command}"`;
  if (!(EXEC_API_VERSIONS as readonly string[]).includes(config.apiVersion)) {
    throw new KfwdError(
      "KFWD_KUBECONFIG_INVALID",
      `Cannot run ${name}: apiVersion "${config.apiVersion}" is not supported`,
      `Use one of ${EXEC_API_VERSIONS.join(", ")} in users[].user.exec.apiVersion.`,
    );
  }
  const tty = opts.stdinIsTTY ?? process.stdin.isTTY === true;
  const interactive = config.interactiveMode !== "Never" && tty;
  if (config.interactiveMode === "Always" && !tty) {
    throw new KfwdError(
      "KFWD_AUTH_FAILED",
      `Cannot run ${name}: it needs an interactive terminal (interactiveMode Always)`,
      "Run kfwd from a terminal, or log in with the plugin first.",
    );
  }
  const info = {
    apiVersion: config.apiVersion,
    kind: "ExecCredential",
    spec: { interactive, ...(config.provideClusterInfo && opts.cluster ? { cluster: clusterInfo(opts.cluster) } : {}) },
  };
  const env: Record<string, string | undefined> = { ...process.env };
  for (const e of config.env) env[e.name] = e.value;
  env.KUBERNETES_EXEC_INFO = JSON.stringify(info);

  let proc: Bun.Subprocess<"inherit" | "ignore", "pipe", "inherit">;
  try {
    proc = Bun.spawn([config.command, ...config.args], {
      env,
      stdin: interactive ? "inherit" : "ignore",
      stdout: "pipe",
      stderr: "inherit",
    });
  } catch (e) {
    throw new KfwdError(
      "KFWD_AUTH_FAILED",
      `Cannot run ${name}: ${(e as Error).message}`,
      config.installHint ?? "Install the plugin or fix users[].user.exec.command in the kubeconfig.",
      { cause: e },
    );
  }
  const [stdout, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  if (code !== 0) {
    throw new KfwdError(
      "KFWD_AUTH_FAILED",
      `Cannot get credentials from ${name}: it exited with code ${code}`,
      "Its own message is above; log in again with the plugin (as kubectl would need).",
    );
  }
  return parseExecCredential(stdout, config.apiVersion, name);
}

/** Parse a plugin's stdout. Exported for tests. */
export function parseExecCredential(
  stdout: string,
  apiVersion: string,
  name = "exec credential plugin",
): ExecCredentialStatus {
  let doc: unknown;
  try {
    doc = JSON.parse(stdout);
  } catch {
    throw new KfwdError(
      "KFWD_AUTH_FAILED",
      `Cannot read the output of ${name}: it is not JSON`,
      "The plugin must print an ExecCredential object on stdout.",
    );
  }
  const o = (doc ?? {}) as { apiVersion?: unknown; kind?: unknown; status?: Record<string, unknown> };
  if (o.kind !== "ExecCredential" || o.apiVersion !== apiVersion) {
    throw new KfwdError(
      "KFWD_AUTH_FAILED",
      `Cannot read the output of ${name}: expected kind ExecCredential, apiVersion ${apiVersion}; got ${String(o.kind)}, ${String(o.apiVersion)}`,
      "Make the kubeconfig's exec.apiVersion match what the plugin prints.",
    );
  }
  const s = o.status ?? {};
  const token = typeof s.token === "string" && s.token !== "" ? s.token : undefined;
  const cert =
    typeof s.clientCertificateData === "string" && s.clientCertificateData !== "" ? s.clientCertificateData : undefined;
  const key = typeof s.clientKeyData === "string" && s.clientKeyData !== "" ? s.clientKeyData : undefined;
  if (!token && !(cert && key)) {
    throw new KfwdError(
      "KFWD_AUTH_FAILED",
      `Cannot read the output of ${name}: its status has neither a token nor a client certificate and key`,
      "Log in again with the plugin.",
    );
  }
  if ((cert && !key) || (key && !cert)) {
    throw new KfwdError(
      "KFWD_AUTH_FAILED",
      `Cannot read the output of ${name}: it gave a client certificate without its key, or a key without its certificate`,
      "Report this to the plugin's authors.",
    );
  }
  let expiresAt: number | undefined;
  if (typeof s.expirationTimestamp === "string" && s.expirationTimestamp !== "") {
    expiresAt = Date.parse(s.expirationTimestamp);
    if (Number.isNaN(expiresAt)) {
      throw new KfwdError(
        "KFWD_AUTH_FAILED",
        `Cannot read the output of ${name}: expirationTimestamp is not a RFC 3339 time`,
        "Report this to the plugin's authors.",
      );
    }
  }
  return {
    ...(token ? { token } : {}),
    ...(cert && key ? { clientCertificateData: cert, clientKeyData: key } : {}),
    ...(expiresAt !== undefined ? { expiresAt } : {}),
  };
}

function clusterInfo(c: KubeCluster): Record<string, unknown> {
  return {
    server: c.server,
    ...(c.tlsServerName ? { "tls-server-name": c.tlsServerName } : {}),
    ...(c.insecureSkipTlsVerify ? { "insecure-skip-tls-verify": true } : {}),
    ...(c.certificateAuthorityData
      ? { "certificate-authority-data": Buffer.from(c.certificateAuthorityData).toString("base64") }
      : {}),
    ...(c.proxyUrl ? { "proxy-url": c.proxyUrl } : {}),
  };
}
