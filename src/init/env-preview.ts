/**
 * What a target's env would give a session, by name only: read from the container's spec (its `env` names,
 * its `envFrom` sources), filtered by the default [env] include/exclude. kfwd init shows it without starting
 * an agent and without reading a Secret or ConfigMap; the values are read when a session starts.
 */
import { selectEnv } from "../env/select";
import type { Container, Pod } from "../kube/types";
import { parseProfile } from "../profile/index";

export interface EnvPreview {
  /** Variable names from the container's `env`, after the default include/exclude. */
  names: string[];
  /** "every key of ConfigMap \"app-config\"", "every key of Secret \"db\" (prefix DB_)". */
  sources: string[];
  /** The pod gets service-link variables (enableServiceLinks, the default). */
  serviceLinks: boolean;
}

export function envPreview(pod: Pod, container: Container): EnvPreview {
  const defaults = parseProfile("", "defaults.toml").env;
  const spec = Object.fromEntries((container.env ?? []).map((e) => [e.name, ""]));
  const names = Object.keys(selectEnv(spec, { ...defaults, set: {} })).sort();
  const sources = (container.envFrom ?? []).flatMap((f) => {
    const prefix = f.prefix ? ` (prefix ${f.prefix})` : "";
    if (f.configMapRef) return [`every key of ConfigMap "${f.configMapRef.name}"${prefix}`];
    if (f.secretRef) return [`every key of Secret "${f.secretRef.name}"${prefix}`];
    return [];
  });
  return { names, sources, serviceLinks: pod.spec.enableServiceLinks !== false };
}
