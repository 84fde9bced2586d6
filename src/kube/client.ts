/**
 * A small Kubernetes REST client on Bun's fetch. It exists because @kubernetes/client-node drops the CA and
 * client certificate under Bun; here they go straight into Bun's `tls` options (per FetchSession).
 */
import { KfwdError } from "../errors";
import { apiError, type ConnectErrorContext, connectError, type KubeStatus } from "./api-errors";
import { CredentialProvider, serverTls, type AuthMaterial, type ServerTls } from "./credentials";
import { debugKube } from "./debug";
import { loadKubeconfig, resolveContext, type ResolvedContext } from "./kubeconfig";
import { readWatchStream, type WatchEvent } from "./watch";
import { type ApiProxy, apiServerProxy } from "./proxy";

export type { WatchEvent } from "./watch";

export type QueryValue = string | number | boolean | readonly string[] | undefined;

export interface RequestOptions {
  /** An object is sent as JSON; a string or bytes as they are. */
  body?: unknown;
  query?: Record<string, QueryValue>;
  contentType?: string;
  signal?: AbortSignal;
  /** Default 30 s; 0 = none. */
  timeoutMs?: number;
}

export type PatchType = "merge" | "strategic" | "json" | "apply";
const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: "application/merge-patch+json",
  strategic: "application/strategic-merge-patch+json",
  json: "application/json-patch+json",
  apply: "application/apply-patch+yaml",
};

export interface AccessCheck {
  verb: string;
  resource: string;
  subresource?: string;
  /** "" (core) by default. */
  group?: string;
  /** Defaults to the client's namespace; "" = cluster scope. */
  namespace?: string;
  name?: string;
}

/** What a WebSocket to the API server needs: URL base, auth headers and TLS. */
export interface StreamConnection {
  /** `wss://host:port` plus any path prefix of the server URL. */
  base: string;
  headers: Record<string, string>;
  tls: ServerTls & { cert?: string; key?: string };
  proxy?: string;
  auth: AuthMaterial;
}

const DEFAULT_TIMEOUT_MS = 30_000;

export class KubeClient {
  readonly namespace: string;
  readonly server: string;
  readonly contextName: string;
  readonly #creds: CredentialProvider;
  readonly #tls: ServerTls;
  /** The proxy every connection to the API server goes through, if any (proxy.ts). */
  readonly proxy: ApiProxy | undefined;
  #session: { session: Bun.FetchSession; cert: string | undefined; key: string | undefined } | undefined;

  constructor(readonly context: ResolvedContext) {
    this.namespace = context.namespace;
    this.server = context.cluster.server;
    this.contextName = context.contextName;
    this.#creds = new CredentialProvider(context);
    this.#tls = serverTls(context);
    this.proxy = apiServerProxy(this.server, context.cluster.proxyUrl);
  }

  static async fromKubeconfig(
    opts: { kubeconfig?: string | undefined; context?: string | undefined; namespace?: string | undefined } = {},
  ): Promise<KubeClient> {
    const config = loadKubeconfig({ kubeconfig: opts.kubeconfig });
    return new KubeClient(resolveContext(config, { context: opts.context, namespace: opts.namespace }));
  }

  /** Credentials and TLS for a streaming connection (exec WebSocket). */
  async streamConnection(): Promise<StreamConnection> {
    const auth = await this.#creds.get();
    const base = this.server.replace(/^http/, "ws");
    return {
      base,
      headers: auth.headers,
      tls: { ...this.#tls, ...(auth.cert ? { cert: auth.cert } : {}), ...(auth.key ? { key: auth.key } : {}) },
      ...(this.proxy ? { proxy: this.proxy.url } : {}),
      auth,
    };
  }

  /** After a 401 on a stream: drop cached credentials. True when fresh ones may differ (exec plugin, token file). */
  invalidateCredentials(): boolean {
    if (!this.#creds.canRefresh) return false;
    this.#creds.invalidate();
    return true;
  }

  errorContext(auth?: AuthMaterial): ConnectErrorContext {
    return {
      server: this.server,
      contextName: this.contextName,
      authMethod: auth?.method ?? "configured credentials",
      caSource: this.#tls.caSource,
      tlsServerName: this.#tls.serverName,
      proxy: this.proxy,
    };
  }

  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.#fetch(method, path, opts, "application/json");
    const text = await res.text();
    if (text === "") return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      return text as T;
    }
  }

  get<T>(path: string, query?: Record<string, QueryValue>): Promise<T> {
    return this.request<T>("GET", path, query ? { query } : {});
  }
  list<T>(
    path: string,
    query?: Record<string, QueryValue>,
  ): Promise<{
    apiVersion?: string;
    kind?: string;
    metadata: { resourceVersion?: string; continue?: string };
    items: T[];
  }> {
    return this.request("GET", path, query ? { query } : {});
  }
  create<T>(path: string, body: unknown, query?: Record<string, QueryValue>): Promise<T> {
    return this.request<T>("POST", path, { body, ...(query ? { query } : {}) });
  }
  replace<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>("PUT", path, { body });
  }
  patch<T>(path: string, body: unknown, type: PatchType = "merge", query?: Record<string, QueryValue>): Promise<T> {
    return this.request<T>("PATCH", path, {
      body,
      contentType: PATCH_CONTENT_TYPES[type],
      ...(query ? { query } : {}),
    });
  }
  /** Delete; resolves to undefined when `ignoreNotFound` and the object is already gone. */
  async delete<T = KubeStatus>(
    path: string,
    opts: { ignoreNotFound?: boolean; body?: unknown; query?: Record<string, QueryValue> } = {},
  ): Promise<T | undefined> {
    try {
      return await this.request<T>("DELETE", path, {
        ...(opts.body !== undefined ? { body: opts.body } : {}),
        ...(opts.query ? { query: opts.query } : {}),
      });
    } catch (e) {
      if (opts.ignoreNotFound && e instanceof KfwdError && e.code === "KFWD_NOT_FOUND") return undefined;
      throw e;
    }
  }

  /**
   * Watch a collection (`/api/v1/namespaces/ns/pods`) and call `onEvent` for each event until the server
   * ends the watch (resolves with the last resourceVersion seen) or `signal` aborts (resolves too).
   * An ERROR event (e.g. 410 Gone) rejects with a KubeApiError.
   */
  async watch<T = Record<string, unknown>>(
    path: string,
    onEvent: (event: WatchEvent<T>) => void,
    signal?: AbortSignal,
    query: Record<string, QueryValue> = {},
  ): Promise<{ resourceVersion?: string }> {
    const q = { allowWatchBookmarks: true, ...query, watch: true };
    let res: Response;
    try {
      res = await this.#fetch(
        "GET",
        path,
        { query: q, timeoutMs: 0, ...(signal ? { signal } : {}) },
        "application/json",
      );
    } catch (e) {
      if (signal?.aborted) return {};
      throw e;
    }
    if (!res.body) return {};
    return readWatchStream<T>(res.body, onEvent, signal, (status) =>
      apiError(status.code ?? 500, status, "", { method: "GET", path, query: toSearchParams(q) }, this.errorContext()),
    );
  }

  /** Whether the current user may do something (SelfSubjectAccessReview; needs no RBAC of its own). */
  async selfSubjectAccessReview(check: AccessCheck): Promise<boolean> {
    const namespace = check.namespace ?? this.namespace;
    const review = await this.create<{ status?: { allowed?: boolean } }>(
      "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
      {
        apiVersion: "authorization.k8s.io/v1",
        kind: "SelfSubjectAccessReview",
        spec: {
          resourceAttributes: {
            verb: check.verb,
            group: check.group ?? "",
            resource: check.resource,
            ...(check.subresource ? { subresource: check.subresource } : {}),
            ...(namespace ? { namespace } : {}),
            ...(check.name ? { name: check.name } : {}),
          },
        },
      },
    );
    return review?.status?.allowed === true;
  }

  /** Close idle pooled connections. */
  close(): void {
    this.#session?.session.close();
  }

  async #fetch(method: string, path: string, opts: RequestOptions, accept: string, retried = false): Promise<Response> {
    const auth = await this.#creds.get();
    const query = toSearchParams(opts.query);
    const qs = query.toString();
    const url = `${this.server}${path}${qs ? `?${qs}` : ""}`;
    const headers: Record<string, string> = { Accept: accept, "User-Agent": "kfwd", ...auth.headers };
    let body: string | Uint8Array | undefined;
    if (opts.body !== undefined) {
      if (typeof opts.body === "string" || opts.body instanceof Uint8Array) body = opts.body;
      else body = JSON.stringify(opts.body);
      headers["Content-Type"] = opts.contentType ?? "application/json";
    }
    const timeout = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const signals = [opts.signal, timeout > 0 ? AbortSignal.timeout(timeout) : undefined].filter(
      (s): s is AbortSignal => s !== undefined,
    );
    const started = performance.now();
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers,
        ...(body !== undefined ? { body } : {}),
        ...(signals.length ? { signal: AbortSignal.any(signals) } : {}),
        session: this.#sessionFor(auth),
      });
    } catch (e) {
      if (opts.signal?.aborted) throw e;
      throw connectError(e, this.errorContext(auth));
    }
    debugKube(
      `${method} ${path}${qs ? `?${qs}` : ""} -> ${res.status} (${Math.round(performance.now() - started)} ms)`,
    );
    if (res.ok) return res;
    if (res.status === 401 && !retried && this.#creds.canRefresh) {
      await res.body?.cancel();
      this.#creds.invalidate();
      return this.#fetch(method, path, opts, accept, true);
    }
    const text = await res.text();
    let status: KubeStatus | undefined;
    try {
      const parsed = JSON.parse(text) as KubeStatus;
      if (parsed && parsed.kind === "Status") status = parsed;
    } catch {
      // not JSON: the text is the message
    }
    throw apiError(res.status, status, text, { method, path, query }, this.errorContext(auth));
  }

  #sessionFor(auth: AuthMaterial): Bun.FetchSession {
    const s = this.#session;
    if (s && s.cert === auth.cert && s.key === auth.key) return s.session;
    s?.session.close();
    const t = this.#tls;
    const session = new Bun.FetchSession({
      tls: {
        rejectUnauthorized: t.rejectUnauthorized,
        ...(t.ca ? { ca: t.ca } : {}),
        ...(t.serverName ? { serverName: t.serverName } : {}),
        ...(auth.cert ? { cert: auth.cert } : {}),
        ...(auth.key ? { key: auth.key } : {}),
      },
      ...(this.proxy ? { proxy: this.proxy.url } : {}),
    });
    this.#session = { session, cert: auth.cert, key: auth.key };
    return session;
  }
}

export function toSearchParams(query: Record<string, QueryValue> | undefined): URLSearchParams {
  const p = new URLSearchParams();
  if (!query) return p;
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const item of v) p.append(k, item);
    else p.append(k, String(v));
  }
  return p;
}
