/**
 * The agent's own Kubernetes client, for the few requests incoming traffic needs (read and write one Service,
 * one workload's scale): the pod's service account token and CA, the in-cluster address. It may not use the
 * host's client (src/kube): the agent imports only wire/.
 */
import { readFileSync } from "node:fs";

const SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

export class KubeRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface InClusterKube {
  get<T>(path: string): Promise<T>;
  put<T>(path: string, body: unknown): Promise<T>;
  patch<T>(path: string, body: unknown): Promise<T>;
}

export function inClusterKube(dir = SA_DIR): InClusterKube {
  const host = process.env.KUBERNETES_SERVICE_HOST;
  const port = process.env.KUBERNETES_SERVICE_PORT ?? "443";
  if (!host) throw new Error("not in a cluster: KUBERNETES_SERVICE_HOST is not set");
  const base = `https://${host.includes(":") ? `[${host}]` : host}:${port}`;
  const ca = readFileSync(`${dir}/ca.crt`, "utf8");
  const request = async <T>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> => {
    // Read per request: the kubelet rotates the projected token.
    const token = readFileSync(`${dir}/token`, "utf8").trim();
    const res = await fetch(base + path, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        accept: "application/json",
        ...(body !== undefined ? { "content-type": contentType ?? "application/json" } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      tls: { ca },
      signal: AbortSignal.timeout(10_000),
    } as RequestInit);
    const text = await res.text();
    if (!res.ok) {
      let message = text;
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? text;
      } catch {}
      throw new KubeRequestError(res.status, `${method} ${path}: ${res.status} ${message}`);
    }
    return JSON.parse(text) as T;
  };
  return {
    get: (path) => request("GET", path),
    put: (path, body) => request("PUT", path, body),
    patch: (path, body) => request("PATCH", path, body, "application/merge-patch+json"),
  };
}

/** Read, change, write with the read resourceVersion; a conflict (someone else wrote meanwhile) starts over. */
export async function updateObject<T extends { metadata: { resourceVersion?: string } }>(
  kube: InClusterKube,
  path: string,
  change: (current: T) => T | undefined,
): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    const current = await kube.get<T>(path);
    const next = change(current);
    if (!next) return false;
    try {
      await kube.put(path, next);
      return true;
    } catch (e) {
      if (!(e instanceof KubeRequestError && e.status === 409) || attempt >= 20) throw e;
      await Bun.sleep(20 + Math.random() * 80);
    }
  }
}

export const servicePath = (namespace: string, name: string): string =>
  `/api/v1/namespaces/${namespace}/services/${name}`;
