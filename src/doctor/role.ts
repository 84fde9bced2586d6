/**
 * The permissions kfwd needs, read from deploy/kfwd-role.yaml — the one Role we ship and document — so the
 * doctor can never drift from it. The file is imported as text: `bun build --compile` embeds it in dist/kfwd.
 */
import { KfwdError } from "../errors";
import roleText from "../../deploy/kfwd-role.yaml" with { type: "text" };

export interface RoleRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/** One thing to ask SelfSubjectAccessReview about: a verb on a resource (maybe "pods/exec") of a group. */
export interface Permission {
  verb: string;
  group: string;
  /** As written in a rule: "pods" or "pods/exec". */
  resource: string;
}

const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === "string");

/**
 * The rules of a Role manifest — of the Role named `name` when the file holds several (deploy/kfwd-role.yaml:
 * `kfwd`, and `kfwd-incoming` for incoming traffic). Throws on a shape we do not understand rather than check
 * too little.
 */
export function parseRole(text: string, name?: string): RoleRule[] {
  const parsed: unknown = Bun.YAML.parse(text);
  const docs = Array.isArray(parsed) ? parsed : [parsed];
  const doc: unknown =
    name === undefined
      ? docs[0]
      : docs.find((d) => (d as { metadata?: { name?: unknown } } | null)?.metadata?.name === name);
  if (doc === undefined) throw badRole(`it has no Role named ${name}`);
  const rules = (doc as { rules?: unknown } | null)?.rules;
  if (!Array.isArray(rules)) throw badRole("it has no rules list");
  return rules.map((r: unknown, i) => {
    const { apiGroups, resources, verbs } = (r ?? {}) as Record<string, unknown>;
    if (!isStringList(apiGroups) || !isStringList(resources) || !isStringList(verbs))
      throw badRole(`rule ${i + 1} lacks apiGroups, resources or verbs`);
    return { apiGroups, resources, verbs };
  });
}

function badRole(reason: string): KfwdError {
  return new KfwdError(
    "KFWD_ROLE_INVALID",
    `Cannot read the kfwd Role (deploy/kfwd-role.yaml): ${reason}`,
    "The Role file shipped with kfwd is broken; reinstall kfwd or restore the file.",
  );
}

/** Every (verb, group, resource) a list of rules grants, in the file's order. */
export function permissionsOf(rules: readonly RoleRule[]): Permission[] {
  const out: Permission[] = [];
  for (const rule of rules) {
    for (const group of rule.apiGroups)
      for (const resource of rule.resources) for (const verb of rule.verbs) out.push({ verb, group, resource });
  }
  return out;
}

/** What every session needs (outgoing traffic, env). */
export const shippedRules = (): RoleRule[] => parseRole(roleText, "kfwd");
/** What [incoming] needs on top. */
export const shippedIncomingRules = (): RoleRule[] => parseRole(roleText, "kfwd-incoming");
export const shippedRoleText = (): string => roleText;

/**
 * The smallest set of rules that grants exactly `missing`: the shipped rules' order, one rule per group and
 * set of missing verbs (resources that lack the same verbs share a rule).
 */
export function rulesFor(missing: readonly Permission[]): RoleRule[] {
  const byGroup = new Map<string, Map<string, string[]>>();
  for (const p of missing) {
    const resources = byGroup.get(p.group) ?? new Map<string, string[]>();
    byGroup.set(p.group, resources);
    const verbs = resources.get(p.resource) ?? [];
    if (!verbs.includes(p.verb)) verbs.push(p.verb);
    resources.set(p.resource, verbs);
  }
  const rules: RoleRule[] = [];
  for (const [group, resources] of byGroup) {
    const byVerbs = new Map<string, RoleRule>();
    for (const [resource, verbs] of resources) {
      const key = verbs.join(",");
      const rule = byVerbs.get(key);
      if (rule) rule.resources.push(resource);
      else byVerbs.set(key, { apiGroups: [group], resources: [resource], verbs: [...verbs] });
    }
    rules.push(...byVerbs.values());
  }
  return rules;
}

const list = (items: readonly string[]): string => `[${items.map((s) => JSON.stringify(s)).join(", ")}]`;

/** A Role manifest (YAML, in the shipped file's style) holding `rules`. */
export function roleYaml(name: string, namespace: string, rules: readonly RoleRule[]): string {
  const lines = [
    "apiVersion: rbac.authorization.k8s.io/v1",
    "kind: Role",
    "metadata:",
    `  name: ${name}`,
    `  namespace: ${namespace}`,
    "  labels:",
    "    app.kubernetes.io/managed-by: kfwd",
    "rules:",
  ];
  for (const r of rules)
    lines.push(
      `  - apiGroups: ${list(r.apiGroups)}`,
      `    resources: ${list(r.resources)}`,
      `    verbs: ${list(r.verbs)}`,
    );
  return `${lines.join("\n")}\n`;
}
