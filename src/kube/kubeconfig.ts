/**
 * Kubeconfig loading on the host, with kubectl's rules (client-go clientcmd):
 * - the files: an explicit path, else the `KUBECONFIG` list (path-delimiter separated; missing entries are
 *   skipped), else ~/.kube/config;
 * - merging: for contexts, clusters and users the first file that names a key wins; `current-context` comes
 *   from the first file that sets it;
 * - relative file paths (certificate-authority, client-certificate, client-key, tokenFile, an exec command
 *   containing a slash) are relative to the directory of the file that holds them.
 * Secrets (tokens, keys, passwords) are kept in memory only and never put into messages.
 */
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, dirname, resolve } from "node:path";
import { KfwdError } from "../errors";
import { parseCluster, parseContext, parseUser } from "./kubeconfig-parse";
import type { KubeCluster, KubeContext, KubeUser } from "./kubeconfig-types";

export type { ExecPluginConfig, KubeCluster, KubeContext, KubeUser } from "./kubeconfig-types";

export interface Kubeconfig {
  /** The files that were read, in precedence order. */
  readonly files: readonly string[];
  readonly currentContext: string | undefined;
  readonly contexts: ReadonlyMap<string, KubeContext>;
  readonly clusters: ReadonlyMap<string, KubeCluster>;
  readonly users: ReadonlyMap<string, KubeUser>;
}

export interface KubeconfigLocation {
  /** An explicit file (`--kubeconfig`): it must exist. */
  kubeconfig?: string | undefined;
  /** Defaults to process.env. */
  env?: Record<string, string | undefined>;
  /** Defaults to os.homedir(). */
  home?: string;
}

/** The files kubectl would read, in precedence order, and whether they came from an explicit path. */
export function kubeconfigPaths(loc: KubeconfigLocation = {}): {
  paths: string[];
  source: "explicit" | "KUBECONFIG" | "default";
} {
  if (loc.kubeconfig) return { paths: [resolve(loc.kubeconfig)], source: "explicit" };
  const env = loc.env ?? process.env;
  const list = env.KUBECONFIG;
  if (list !== undefined && list.trim() !== "") {
    const seen = new Set<string>();
    for (const p of list.split(delimiter)) {
      if (p.trim() === "") continue;
      seen.add(resolve(p));
    }
    return { paths: [...seen], source: "KUBECONFIG" };
  }
  const home = loc.home ?? env.HOME ?? homedir();
  return { paths: [resolve(home, ".kube", "config")], source: "default" };
}

/** Read and merge the kubeconfig files. */
export function loadKubeconfig(loc: KubeconfigLocation = {}): Kubeconfig {
  const { paths, source } = kubeconfigPaths(loc);
  const existing = paths.filter((p) => existsSync(p));
  if (existing.length === 0) {
    const what = source === "KUBECONFIG" ? `KUBECONFIG=${paths.join(delimiter)}` : (paths[0] ?? "");
    throw new KfwdError(
      "KFWD_KUBECONFIG_NOT_FOUND",
      `Cannot read kubeconfig "${what}": no such file`,
      source === "explicit"
        ? "Check the path given with --kubeconfig."
        : "Point KUBECONFIG (or --kubeconfig) at your cluster's kubeconfig, or create ~/.kube/config (`kubectl config view` shows what kubectl uses).",
    );
  }
  const contexts = new Map<string, KubeContext>();
  const clusters = new Map<string, KubeCluster>();
  const users = new Map<string, KubeUser>();
  let currentContext: string | undefined;
  for (const file of existing) {
    const doc = readDocument(file);
    const dir = dirname(file);
    if (currentContext === undefined && typeof doc["current-context"] === "string" && doc["current-context"] !== "") {
      currentContext = doc["current-context"];
    }
    mergeNamed(doc, "contexts", "context", file, contexts, (v) => parseContext(v, file));
    mergeNamed(doc, "clusters", "cluster", file, clusters, (v) => parseCluster(v, file, dir));
    mergeNamed(doc, "users", "user", file, users, (v) => parseUser(v, file, dir));
  }
  return { files: existing, currentContext, contexts, clusters, users };
}

function readDocument(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new KfwdError(
      "KFWD_KUBECONFIG_NOT_FOUND",
      `Cannot read kubeconfig "${file}": ${(e as Error).message}`,
      "Check the file's permissions.",
      { cause: e },
    );
  }
  if (text.trim() === "") return {};
  let doc: unknown;
  try {
    doc = Bun.YAML.parse(text);
  } catch (e) {
    throw new KfwdError(
      "KFWD_KUBECONFIG_INVALID",
      `Cannot parse kubeconfig "${file}": ${(e as Error).message}`,
      "Fix the YAML (`kubectl config view` reports the same file).",
      { cause: e },
    );
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== "object" || Array.isArray(doc)) {
    throw new KfwdError(
      "KFWD_KUBECONFIG_INVALID",
      `Cannot parse kubeconfig "${file}": the top level is not a mapping`,
      "A kubeconfig is a YAML mapping with clusters, users and contexts.",
    );
  }
  return doc as Record<string, unknown>;
}

function mergeNamed<T>(
  doc: Record<string, unknown>,
  listKey: string,
  itemKey: string,
  file: string,
  into: Map<string, T>,
  parse: (value: Record<string, unknown>) => T,
): void {
  const list = doc[listKey];
  if (list === undefined || list === null) return;
  if (!Array.isArray(list)) invalid(file, `"${listKey}" is not a list`);
  for (const entry of list) {
    if (typeof entry !== "object" || entry === null) invalid(file, `an entry of "${listKey}" is not a mapping`);
    const { name, [itemKey]: value } = entry as Record<string, unknown>;
    if (typeof name !== "string" || name === "") invalid(file, `an entry of "${listKey}" has no name`);
    if (into.has(name)) continue; // the first file to set a key wins
    const body = value === undefined || value === null ? {} : value;
    if (typeof body !== "object" || Array.isArray(body))
      invalid(file, `${listKey} "${name}": "${itemKey}" is not a mapping`);
    into.set(name, parse(body as Record<string, unknown>));
  }
}

function invalid(file: string, reason: string): never {
  throw new KfwdError(
    "KFWD_KUBECONFIG_INVALID",
    `Cannot parse kubeconfig "${file}": ${reason}`,
    "Compare it with `kubectl config view --raw`.",
  );
}

/** A context with its cluster and user looked up: everything needed to talk to one API server. */
export interface ResolvedContext {
  readonly contextName: string;
  readonly clusterName: string;
  readonly userName: string;
  readonly cluster: KubeCluster;
  /** Empty (anonymous) when the context names no user. */
  readonly user: KubeUser;
  readonly namespace: string;
}

/** Pick a context (the named one, else current-context) and resolve its cluster, user and namespace. */
export function resolveContext(
  config: Kubeconfig,
  opts: { context?: string | undefined; namespace?: string | undefined } = {},
): ResolvedContext {
  const names = [...config.contexts.keys()].sort();
  const listed =
    names.length > 0
      ? `Contexts in ${config.files.join(", ")}: ${names.join(", ")}.`
      : `${config.files.join(", ")} defines no contexts.`;
  const contextName = opts.context || config.currentContext;
  if (!contextName) {
    throw new KfwdError(
      "KFWD_CONTEXT_NOT_FOUND",
      `Cannot choose a Kubernetes context: no context was given and the kubeconfig sets no current-context`,
      `${listed} Pick one with --context <name> or \`kubectl config use-context <name>\`.`,
    );
  }
  const context = config.contexts.get(contextName);
  if (!context) {
    throw new KfwdError(
      "KFWD_CONTEXT_NOT_FOUND",
      `Cannot use context "${contextName}": it is not in the kubeconfig`,
      listed,
    );
  }
  const cluster = config.clusters.get(context.cluster);
  if (!context.cluster || !cluster) {
    throw new KfwdError(
      "KFWD_KUBECONFIG_INVALID",
      `Cannot use context "${contextName}": its cluster "${context.cluster}" is not in the kubeconfig`,
      `Clusters: ${[...config.clusters.keys()].sort().join(", ") || "(none)"}. Fix the context in ${context.source}.`,
    );
  }
  if (!cluster.server) {
    throw new KfwdError(
      "KFWD_KUBECONFIG_INVALID",
      `Cannot use cluster "${context.cluster}": it has no server`,
      `Set clusters[].cluster.server in ${cluster.source}.`,
    );
  }
  let user: KubeUser = { source: context.source };
  if (context.user) {
    const found = config.users.get(context.user);
    if (!found) {
      throw new KfwdError(
        "KFWD_KUBECONFIG_INVALID",
        `Cannot use context "${contextName}": its user "${context.user}" is not in the kubeconfig`,
        `Users: ${[...config.users.keys()].sort().join(", ") || "(none)"}. Fix the context in ${context.source}.`,
      );
    }
    user = found;
  }
  return {
    contextName,
    clusterName: context.cluster,
    userName: context.user,
    cluster,
    user,
    namespace: opts.namespace || context.namespace || "default",
  };
}
