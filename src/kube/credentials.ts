/**
 * What the host presents to the API server: the server's TLS trust (CA, server name) and the user's
 * credentials (client certificate, bearer token, basic auth, impersonation headers). Exec plugins and token
 * files are re-read when they expire or after a 401, as kubectl does.
 */
import { readFileSync } from "node:fs";
import { KfwdError } from "../errors";
import { execPluginCredential } from "./exec-plugin";
import type { ResolvedContext } from "./kubeconfig";
import { oidcToken } from "./oidc";

export interface ServerTls {
  ca?: string;
  rejectUnauthorized: boolean;
  serverName?: string;
  /** Where the CA came from, for error messages ("certificate-authority-data of cluster X in FILE"). */
  caSource: string;
}

export interface AuthMaterial {
  /** Authorization and impersonation headers. */
  headers: Record<string, string>;
  cert?: string;
  key?: string;
  /** How the user authenticates, without secrets ("client certificate /path", "exec plugin aws"). */
  method: string;
}

export function serverTls(ctx: ResolvedContext): ServerTls {
  const c = ctx.cluster;
  const where = `cluster "${ctx.clusterName}" in ${c.source}`;
  const out: ServerTls = {
    rejectUnauthorized: !c.insecureSkipTlsVerify,
    caSource: `the system's trusted CAs (${where} sets no certificate-authority)`,
  };
  if (c.tlsServerName) out.serverName = c.tlsServerName;
  // kubectl: certificate-authority-data wins over certificate-authority.
  if (c.certificateAuthorityData) {
    out.ca = c.certificateAuthorityData;
    out.caSource = `certificate-authority-data of ${where}`;
  } else if (c.certificateAuthority) {
    out.ca = readPem(c.certificateAuthority, `certificate-authority of ${where}`);
    out.caSource = `certificate-authority "${c.certificateAuthority}" of ${where}`;
  }
  if (c.insecureSkipTlsVerify) out.caSource = `no CA: insecure-skip-tls-verify is set for ${where}`;
  return out;
}

const TOKEN_FILE_TTL_MS = 60_000;

export class CredentialProvider {
  #tokenFileCache: { token: string; at: number } | undefined;
  #refreshExec = false;

  constructor(readonly ctx: ResolvedContext) {}

  /** True when a retry after 401 may succeed (a plugin or file can give a new credential). */
  get canRefresh(): boolean {
    return Boolean(this.ctx.user.exec || this.ctx.user.tokenFile);
  }

  /** Forget cached credentials so the next `get()` runs the plugin / reads the file again. */
  invalidate(): void {
    this.#refreshExec = true;
    this.#tokenFileCache = undefined;
  }

  async get(): Promise<AuthMaterial> {
    const u = this.ctx.user;
    const where = `user "${this.ctx.userName}" in ${u.source}`;
    const out: AuthMaterial = { headers: {}, method: "anonymous" };
    if (u.clientCertificateData || u.clientCertificate) {
      out.cert = u.clientCertificateData ?? readPem(u.clientCertificate ?? "", `client-certificate of ${where}`);
      out.method = u.clientCertificateData
        ? `client-certificate-data of ${where}`
        : `client certificate "${u.clientCertificate}" of ${where}`;
    }
    if (u.clientKeyData || u.clientKey)
      out.key = u.clientKeyData ?? readPem(u.clientKey ?? "", `client-key of ${where}`);
    if (Boolean(out.cert) !== Boolean(out.key)) {
      throw new KfwdError(
        "KFWD_KUBECONFIG_INVALID",
        `Cannot use ${where}: it has a client certificate without a key, or a key without a certificate`,
        "Set both client-certificate(-data) and client-key(-data).",
      );
    }
    let token: string | undefined;
    if (u.exec) {
      const refresh = this.#refreshExec;
      this.#refreshExec = false;
      const s = await execPluginCredential(u.exec, { cluster: this.ctx.cluster, refresh });
      token = s.token;
      if (s.clientCertificateData && s.clientKeyData) {
        out.cert = s.clientCertificateData;
        out.key = s.clientKeyData;
      }
      out.method = `exec credential plugin "${u.exec.command}" of ${where}`;
    } else if (u.authProvider) {
      if (u.authProvider.name !== "oidc") {
        throw new KfwdError(
          "KFWD_AUTH_FAILED",
          `Cannot authenticate as ${where}: auth-provider "${u.authProvider.name}" is not supported`,
          "Current kubectl no longer has the gcp and azure auth-providers either: switch to their exec plugins (gke-gcloud-auth-plugin, kubelogin).",
        );
      }
      token = oidcToken(u.authProvider, this.ctx.userName);
      out.method = `oidc id-token of ${where}`;
    } else if (u.tokenFile) {
      token = this.#readTokenFile(u.tokenFile, where);
      out.method = `tokenFile "${u.tokenFile}" of ${where}`;
    } else if (u.token) {
      token = u.token;
      out.method = `token of ${where}`;
    }
    if (token) {
      out.headers.Authorization = `Bearer ${token}`;
    } else if (u.username !== undefined && u.password !== undefined) {
      out.headers.Authorization = `Basic ${Buffer.from(`${u.username}:${u.password}`).toString("base64")}`;
      out.method = `basic auth (username "${u.username}") of ${where}`;
    }
    if (u.impersonate) out.headers["Impersonate-User"] = u.impersonate;
    if (u.impersonateGroups?.length) out.headers["Impersonate-Group"] = u.impersonateGroups.join(",");
    return out;
  }

  #readTokenFile(path: string, where: string): string {
    const cached = this.#tokenFileCache;
    if (cached && Date.now() - cached.at < TOKEN_FILE_TTL_MS) return cached.token;
    let token: string;
    try {
      token = readFileSync(path, "utf8").trim();
    } catch (e) {
      throw new KfwdError(
        "KFWD_AUTH_FAILED",
        `Cannot read the tokenFile "${path}" of ${where}: ${(e as Error).message}`,
        "Fix users[].user.tokenFile in the kubeconfig.",
        { cause: e },
      );
    }
    if (!token)
      throw new KfwdError(
        "KFWD_AUTH_FAILED",
        `Cannot use the tokenFile "${path}" of ${where}: it is empty`,
        "Write the token into the file.",
      );
    this.#tokenFileCache = { token, at: Date.now() };
    return token;
  }
}

function readPem(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    throw new KfwdError(
      "KFWD_KUBECONFIG_INVALID",
      `Cannot read the ${what}: ${(e as Error).message}`,
      "Fix the path in the kubeconfig (relative paths are relative to the kubeconfig file's directory).",
      { cause: e },
    );
  }
}
