/**
 * Kubernetes API paths: build them, and read back what a request means to the authorizer (verb, API group,
 * resource, subresource, namespace, name) — the same attributes RBAC rules are written in.
 */

export interface ResourceRef {
  /** "" for the core group. */
  group?: string;
  /** Defaults to "v1". */
  version?: string;
  /** Plural, lower case: "pods". */
  resource: string;
  namespace?: string | undefined;
  name?: string | undefined;
  subresource?: string | undefined;
}

/** `/api/v1/namespaces/ns/pods/name/exec` and the like. Segments are URL-encoded. */
export function apiPath(ref: ResourceRef): string {
  const group = ref.group ?? "";
  const version = ref.version ?? "v1";
  const parts = [group === "" ? "api" : `apis/${group}`, version];
  if (ref.namespace) parts.push("namespaces", encodeURIComponent(ref.namespace));
  parts.push(ref.resource);
  if (ref.name) parts.push(encodeURIComponent(ref.name));
  if (ref.subresource) parts.push(ref.subresource);
  return `/${parts.join("/")}`;
}

export interface RequestAttributes {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

/** Subresources of a namespace object itself (kube-apiserver's RequestInfoFactory uses the same list). */
const NAMESPACE_SUBRESOURCES = new Set(["status", "finalize"]);

/** What the authorizer sees for this request, or undefined for a non-resource path like /version. */
export function requestAttributes(
  method: string,
  path: string,
  query?: URLSearchParams,
): RequestAttributes | undefined {
  const clean = path.split("?")[0] ?? "";
  const parts = clean.split("/").filter(Boolean).map(decodeURIComponent);
  let group: string;
  let rest: string[];
  if (parts[0] === "api" && parts.length >= 3) {
    group = "";
    rest = parts.slice(2);
  } else if (parts[0] === "apis" && parts.length >= 4) {
    group = parts[1] ?? "";
    rest = parts.slice(3);
  } else {
    return undefined;
  }
  let namespace: string | undefined;
  if (rest[0] === "namespaces" && rest.length > 1) {
    namespace = rest[1];
    if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2] ?? "")) rest = rest.slice(2);
  }
  const [resource, name, subresource] = rest;
  if (!resource) return undefined;
  if (resource === "namespaces") namespace = undefined;
  const verb = verbFor(
    method.toUpperCase(),
    name !== undefined,
    query?.get("watch") === "true" || query?.get("watch") === "1",
  );
  return {
    verb,
    group,
    resource,
    ...(subresource ? { subresource } : {}),
    ...(namespace ? { namespace } : {}),
    ...(name ? { name } : {}),
  };
}

function verbFor(method: string, hasName: boolean, watch: boolean): string {
  switch (method) {
    case "GET":
    case "HEAD":
      return watch ? "watch" : hasName ? "get" : "list";
    case "POST":
      return "create";
    case "PUT":
      return "update";
    case "PATCH":
      return "patch";
    case "DELETE":
      return hasName ? "delete" : "deletecollection";
    default:
      return method.toLowerCase();
  }
}

/** The Role rule that grants one request, as YAML a user can paste into `rules:`. */
export function roleRuleYaml(a: {
  verb: string;
  group: string;
  resource: string;
  subresource?: string | undefined;
}): string {
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  return [`- apiGroups: ["${a.group}"]`, `  resources: ["${resource}"]`, `  verbs: ["${a.verb}"]`].join("\n");
}
