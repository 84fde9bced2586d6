/**
 * Turning API server answers and connection failures into KfwdErrors a user can act on: which request,
 * which permission, which CA.
 */
import { type ErrorCode, KfwdError } from "../errors";
import { type RequestAttributes, requestAttributes, roleRuleYaml } from "./api-path";
import { type ApiProxy, shownProxy } from "./proxy";

/** A Kubernetes `Status` object (the body of most error responses). */
export interface KubeStatus {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    causes?: { reason?: string; message?: string; field?: string }[];
  };
}

/** An error answer from the API server. `status` is the HTTP status, `reason` the Status reason. */
export class KubeApiError extends KfwdError {
  constructor(
    code: ErrorCode,
    message: string,
    hint: string | undefined,
    readonly status: number,
    readonly reason: string | undefined,
    readonly request: { method: string; path: string },
    readonly body: KubeStatus | undefined,
  ) {
    super(code, message, hint);
  }
}

export function isKubeApiError(e: unknown, status?: number): e is KubeApiError {
  return e instanceof KubeApiError && (status === undefined || e.status === status);
}

export interface ErrorContext {
  server: string;
  contextName: string;
  /** How we authenticated, without secrets. */
  authMethod: string;
}

/** The authorizer's own words: `User "u" cannot create resource "pods/exec" in API group "" in the namespace "ns"`. */
const RBAC_MESSAGE =
  /User "([^"]*)" cannot (\S+) resource "([^"]+)" in API group "([^"]*)"(?: in the namespace "([^"]+)")?/;

export function apiError(
  status: number,
  body: KubeStatus | undefined,
  text: string,
  req: { method: string; path: string; query?: URLSearchParams },
  ctx: ErrorContext,
): KubeApiError {
  const serverMsg = body?.message || text.trim().slice(0, 500) || `HTTP ${status}`;
  const attrs = requestAttributes(req.method, req.path, req.query);
  const what = attrs ? describe(attrs) : `${req.method} ${req.path}`;
  const make = (code: ErrorCode, message: string, hint?: string) =>
    new KubeApiError(code, message, hint, status, body?.reason, { method: req.method, path: req.path }, body);

  if (status === 401) {
    return make(
      "KFWD_AUTH_FAILED",
      `Cannot ${what}: the API server ${ctx.server} did not accept the credentials (401 Unauthorized)`,
      `kfwd used the ${ctx.authMethod} (context "${ctx.contextName}"). Log in again or renew the credential; \`kubectl --context ${ctx.contextName} auth whoami\` shows whether kubectl gets in.`,
    );
  }
  if (status === 403) {
    if (/violates PodSecurity/.test(serverMsg)) {
      return make(
        "KFWD_POD_SECURITY_REJECTED",
        `Cannot ${what}: ${serverMsg}`,
        'The namespace enforces a Pod Security level the pod spec does not meet; kfwd\'s own pods meet "restricted".',
      );
    }
    const m = RBAC_MESSAGE.exec(serverMsg);
    if (m) {
      const [, user = "", verb = attrs?.verb ?? "", resourceFull = "", group = "", namespace] = m;
      const [resource = resourceFull, subresource] = resourceFull.split("/");
      if (user === "system:anonymous") {
        return make(
          "KFWD_AUTH_FAILED",
          `Cannot ${what}: the API server ${ctx.server} treated kfwd as anonymous`,
          `kfwd used the ${ctx.authMethod} (context "${ctx.contextName}"), and the server did not accept it as a login. Check that it belongs to this cluster and has not expired.`,
        );
      }
      const a: RequestAttributes = {
        verb,
        group,
        resource,
        ...(subresource ? { subresource } : {}),
        ...(namespace ? { namespace } : {}),
        ...(attrs?.name ? { name: attrs.name } : {}),
      };
      return make(
        "KFWD_RBAC_FORBIDDEN",
        `Cannot ${describe(a)}: user "${user}" is not allowed to ${verb} ${resourceFull}${namespace ? ` in namespace "${namespace}"` : " at cluster scope"}`,
        rbacHint(a),
      );
    }
    if (attrs && body?.reason === "Forbidden" && /cannot/.test(serverMsg)) {
      return make("KFWD_RBAC_FORBIDDEN", `Cannot ${what}: ${serverMsg}`, rbacHint(attrs));
    }
    return make(
      "KFWD_FORBIDDEN",
      `Cannot ${what}: ${serverMsg}`,
      "An admission policy or webhook refused the request; its message above says why.",
    );
  }
  if (status === 404) {
    return make(
      "KFWD_NOT_FOUND",
      `Cannot ${what}: ${serverMsg}`,
      attrs?.namespace
        ? `Check the name and the namespace "${attrs.namespace}" (context "${ctx.contextName}").`
        : `Check the name (context "${ctx.contextName}").`,
    );
  }
  if (status === 409)
    return make(
      body?.reason === "AlreadyExists" ? "KFWD_ALREADY_EXISTS" : "KFWD_CONFLICT",
      `Cannot ${what}: ${serverMsg}`,
    );
  if (status === 410)
    return make(
      "KFWD_GONE",
      `Cannot ${what}: ${serverMsg}`,
      "The resource version is too old: list again and watch from the new version.",
    );
  if (status === 422 || status === 400) return make("KFWD_INVALID_REQUEST", `Cannot ${what}: ${serverMsg}`);
  return make("KFWD_API_ERROR", `Cannot ${what}: the API server ${ctx.server} answered ${status}: ${serverMsg}`);
}

function describe(a: RequestAttributes): string {
  const res = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  return `${a.verb} ${res}${a.name ? ` "${a.name}"` : ""}${a.namespace ? ` in namespace "${a.namespace}"` : ""}`;
}

function rbacHint(a: RequestAttributes): string {
  const scope = a.namespace ? `a Role in namespace "${a.namespace}"` : "a ClusterRole";
  return `Ask a cluster admin to add this rule to ${scope} bound to you (deploy/kfwd-role.yaml lists all kfwd needs):\n${roleRuleYaml(a)}`;
}

/** TLS verification codes (BoringSSL/Node names) and what they mean for a kubeconfig. */
const UNKNOWN_CA = new Set([
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_SIGNATURE_FAILURE",
]);

export interface ConnectErrorContext extends ErrorContext {
  caSource: string;
  tlsServerName?: string | undefined;
  /** The proxy in between, if any: a failure may be the proxy's. */
  proxy?: ApiProxy | undefined;
}

/** A failure to connect (refused, DNS, TLS) as KFWD_CLUSTER_UNREACHABLE naming the server, the proxy in between
 *  if any, and the cause. */
export function connectError(e: unknown, ctx: ConnectErrorContext): KfwdError {
  if (e instanceof KfwdError) return e;
  const err = e as { code?: unknown; message?: unknown; name?: unknown };
  const code = typeof err.code === "string" ? err.code : "";
  const msg = typeof err.message === "string" ? err.message : String(e);
  const via = ctx.proxy ? ` through the proxy ${shownProxy(ctx.proxy.url)} (from ${ctx.proxy.source})` : "";
  const at = `Cannot reach the API server "${ctx.server}" (context "${ctx.contextName}")${via}`;
  const proxyHint = !ctx.proxy
    ? ""
    : ctx.proxy.source === "proxy-url"
      ? " Or check the proxy, and the proxy-url of the kubeconfig's cluster entry."
      : ` Or check the proxy; to reach the server directly, add "${hostOf(ctx.server)}" to NO_PROXY.`;
  const make = (reason: string, hint: string) =>
    new KfwdError("KFWD_CLUSTER_UNREACHABLE", `${at}: ${reason}`, `${hint}${proxyHint}`, { cause: e });
  if (UNKNOWN_CA.has(code)) {
    return make(
      `its certificate is signed by an unknown authority (${code})`,
      `kfwd trusted ${ctx.caSource}. Make that the CA that signed the API server's certificate.`,
    );
  }
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID" || code === "HOSTNAME_MISMATCH") {
    const host = ctx.tlsServerName ?? hostOf(ctx.server);
    return make(
      `its certificate is not valid for "${host}" (${code})`,
      "Use a server address the certificate names, or set tls-server-name in the kubeconfig's cluster entry.",
    );
  }
  if (code === "CERT_HAS_EXPIRED" || code === "CERT_NOT_YET_VALID") {
    return make(
      `its certificate ${code === "CERT_HAS_EXPIRED" ? "has expired" : "is not valid yet"} (${code})`,
      "Check the host's clock, or renew the cluster's certificates.",
    );
  }
  if (code === "ECONNREFUSED")
    return make("connection refused", "Is the cluster running, and is this the right server address and port?");
  if (code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "ConnectionRefused") {
    return make(
      `${code === "ConnectionRefused" ? "connection refused" : `the name "${hostOf(ctx.server)}" does not resolve`}`,
      "Check the server address in the kubeconfig, and your VPN or network.",
    );
  }
  if (code === "ETIMEDOUT" || code === "TimeoutError" || err.name === "TimeoutError")
    return make("the connection timed out", "Check your network, VPN or firewall.");
  if (/certificate|TLS|SSL/i.test(msg) || /CERT|TLS|SSL/.test(code)) {
    return make(`TLS failed: ${msg}${code ? ` (${code})` : ""}`, `kfwd trusted ${ctx.caSource}.`);
  }
  return make(
    `${msg}${code && !msg.includes(code) ? ` (${code})` : ""}`,
    "Check the server address in the kubeconfig and your network.",
  );
}

function hostOf(server: string): string {
  try {
    return new URL(server).hostname;
  } catch {
    return server;
  }
}
