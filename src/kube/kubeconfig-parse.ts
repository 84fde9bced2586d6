/** Turns one kubeconfig file's context/cluster/user mappings into typed entries, resolving relative paths. */
import { isAbsolute, join, sep } from "node:path";
import { KfwdError } from "../errors";
import type {
  AuthProviderConfig,
  ExecInteractiveMode,
  ExecPluginConfig,
  KubeCluster,
  KubeContext,
  KubeUser,
} from "./kubeconfig-types";

/** Resolve `p` against a kubeconfig file's directory, as kubectl does (no `~` expansion, like kubectl). */
export function resolveKubeconfigPath(dir: string, p: string): string {
  return p === "" || isAbsolute(p) ? p : join(dir, p);
}

export function parseContext(v: Record<string, unknown>, file: string): KubeContext {
  const namespace = str(v, "namespace", file);
  return {
    cluster: str(v, "cluster", file) ?? "",
    user: str(v, "user", file) ?? "",
    ...(namespace ? { namespace } : {}),
    source: file,
  };
}

export function parseCluster(v: Record<string, unknown>, file: string, dir: string): KubeCluster {
  const ca = str(v, "certificate-authority", file);
  const caData = b64(v, "certificate-authority-data", file);
  const tlsServerName = str(v, "tls-server-name", file);
  const proxyUrl = str(v, "proxy-url", file);
  return {
    server: (str(v, "server", file) ?? "").replace(/\/+$/, ""),
    ...(ca ? { certificateAuthority: resolveKubeconfigPath(dir, ca) } : {}),
    ...(caData ? { certificateAuthorityData: caData } : {}),
    insecureSkipTlsVerify: v["insecure-skip-tls-verify"] === true,
    ...(tlsServerName ? { tlsServerName } : {}),
    ...(proxyUrl ? { proxyUrl } : {}),
    source: file,
  };
}

export function parseUser(v: Record<string, unknown>, file: string, dir: string): KubeUser {
  const out: { -readonly [K in keyof KubeUser]: KubeUser[K] } = { source: file };
  const cert = str(v, "client-certificate", file);
  if (cert) out.clientCertificate = resolveKubeconfigPath(dir, cert);
  const certData = b64(v, "client-certificate-data", file);
  if (certData) out.clientCertificateData = certData;
  const key = str(v, "client-key", file);
  if (key) out.clientKey = resolveKubeconfigPath(dir, key);
  const keyData = b64(v, "client-key-data", file);
  if (keyData) out.clientKeyData = keyData;
  const token = str(v, "token", file);
  if (token) out.token = token;
  const tokenFile = str(v, "tokenFile", file);
  if (tokenFile) out.tokenFile = resolveKubeconfigPath(dir, tokenFile);
  const username = str(v, "username", file);
  if (username) out.username = username;
  const password = str(v, "password", file);
  if (password) out.password = password;
  const as = str(v, "as", file);
  if (as) out.impersonate = as;
  const groups = v["as-groups"];
  if (Array.isArray(groups)) out.impersonateGroups = groups.filter((g): g is string => typeof g === "string");
  const ap = v["auth-provider"];
  if (ap !== undefined && ap !== null) out.authProvider = parseAuthProvider(ap, file);
  const ex = v.exec;
  if (ex !== undefined && ex !== null) out.exec = parseExec(ex, file, dir);
  return out;
}

function parseAuthProvider(v: unknown, file: string): AuthProviderConfig {
  if (typeof v !== "object" || v === null) bad(file, `"auth-provider" is not a mapping`);
  const o = v as Record<string, unknown>;
  const config: Record<string, string> = {};
  const c = o.config;
  if (typeof c === "object" && c !== null) {
    for (const [k, val] of Object.entries(c)) if (typeof val === "string") config[k] = val;
  }
  return { name: str(o, "name", file) ?? "", config };
}

const INTERACTIVE_MODES: readonly ExecInteractiveMode[] = ["Never", "IfAvailable", "Always"];

function parseExec(v: unknown, file: string, dir: string): ExecPluginConfig {
  if (typeof v !== "object" || v === null) bad(file, `"exec" is not a mapping`);
  const o = v as Record<string, unknown>;
  const apiVersion = str(o, "apiVersion", file) ?? "";
  const command = str(o, "command", file) ?? "";
  if (!command) bad(file, `exec: "command" is empty`);
  const args = Array.isArray(o.args) ? o.args.map(String) : [];
  const env: { name: string; value: string }[] = [];
  if (Array.isArray(o.env)) {
    for (const e of o.env) {
      if (typeof e === "object" && e !== null && typeof (e as { name?: unknown }).name === "string") {
        env.push({ name: (e as { name: string }).name, value: String((e as { value?: unknown }).value ?? "") });
      }
    }
  }
  const mode = str(o, "interactiveMode", file);
  let interactiveMode: ExecInteractiveMode = "IfAvailable";
  if (mode) {
    if (!(INTERACTIVE_MODES as readonly string[]).includes(mode))
      bad(file, `exec: interactiveMode "${mode}" is not one of ${INTERACTIVE_MODES.join(", ")}`);
    interactiveMode = mode as ExecInteractiveMode;
  }
  const installHint = str(o, "installHint", file);
  return {
    apiVersion,
    // kubectl resolves the command against the kubeconfig's directory only when it contains a path separator.
    command: command.includes(sep) ? resolveKubeconfigPath(dir, command) : command,
    args,
    env,
    ...(installHint ? { installHint } : {}),
    provideClusterInfo: o.provideClusterInfo === true,
    interactiveMode,
  };
}

function str(o: Record<string, unknown>, key: string, file: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  bad(file, `"${key}" is not a string`);
}

/** A `*-data` field: base64 of PEM bytes. */
function b64(o: Record<string, unknown>, key: string, file: string): string | undefined {
  const v = str(o, key, file);
  if (!v) return undefined;
  const clean = v.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) bad(file, `"${key}" is not base64`);
  return Buffer.from(clean, "base64").toString("utf8");
}

function bad(file: string, reason: string): never {
  throw new KfwdError(
    "KFWD_KUBECONFIG_INVALID",
    `Cannot parse kubeconfig "${file}": ${reason}`,
    "Compare it with `kubectl config view --raw`.",
  );
}
