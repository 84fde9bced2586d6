/** The profile `kfwd init` writes: the choices made, and the keys worth knowing about, commented. */
import { profileSchema } from "../profile/schema";
import { formatToml } from "../profile/toml-text";
import type { TargetRow } from "../targets/list";
import type { EnvPreview } from "./env-preview";

export interface InitChoices {
  schema: string;
  context: string;
  namespace: string;
  /** Written only when given with --kubeconfig: otherwise kfwd uses what kubectl would. */
  kubeconfig?: string | undefined;
  /** undefined: targetless (an agent pod gives the cluster's network and DNS, no pod's env). */
  target?: TargetRow | undefined;
  container?: string | undefined;
  env?: EnvPreview | undefined;
  ephemeralAllowed: boolean;
}

const str = (s: string) => formatToml(s);

/** Names wrapped at ~100 columns, each line a comment. */
function nameLines(names: readonly string[]): string[] {
  const lines: string[] = [];
  const start = "#   ";
  let line = start;
  for (const n of names) {
    if (line.length + n.length > 100 && line !== start) {
      lines.push(line.trimEnd());
      line = start;
    }
    line += `${n} `;
  }
  if (line !== start) lines.push(line.trimEnd());
  return lines;
}

export function profileText(c: InitChoices, file: string): string {
  const out: string[] = [
    `#:schema ${c.schema}`,
    "# A kfwd profile, written by `kfwd init`. Every key: docs/profile.md; `kfwd schema` prints the JSON Schema",
    "# your editor validates this file with (Taplo / Even Better TOML read the #:schema line above).",
    `#   kfwd run ${file} -- <command>     run a command with the pod's env and network`,
    `#   kfwd doctor ${file}              check the cluster, permissions and agent image again`,
    "",
    "[cluster]",
    `context = ${str(c.context)}`,
    `namespace = ${str(c.namespace)}`,
    c.kubeconfig
      ? `kubeconfig = ${str(c.kubeconfig)}`
      : '# kubeconfig = "~/.kube/config"   # default: $KUBECONFIG, else ~/.kube/config',
    "",
    "[target]",
  ];
  const t = c.target;
  if (!t) {
    out.push("# No target: an agent pod gives the cluster's network and DNS, but no pod's env.");
    out.push('# workload = "deployment/<name>"   # or pod = "...", service = "..." (kfwd ls lists them)');
  } else {
    const [key, value] = Object.entries(t.profile)[0] as [string, string];
    out.push(`${key} = ${str(value)}   # ${t.ready}/${t.desired} ready when written; kfwd ls lists the others`);
    out.push(
      c.container
        ? `container = ${str(c.container)}`
        : '# container = "app"   # default: the pod\'s kubectl.kubernetes.io/default-container, else its first',
    );
  }
  out.push("", "[agent]");
  out.push(
    c.ephemeralAllowed && t
      ? '# placement = "auto"   # auto: an ephemeral container in the target pod (you may add them here)'
      : '# placement = "auto"   # auto: an agent pod (you may not add ephemeral containers here)',
  );
  out.push("", "[env]");
  const env = c.env;
  if (env) {
    out.push("# What the command gets from the target container (names only; values are read when a session starts):");
    if (env.names.length > 0) out.push(...nameLines(env.names));
    for (const s of env.sources) out.push(`#   ${s}`);
    if (env.serviceLinks)
      out.push("#   the service-link variables (*_SERVICE_HOST, *_SERVICE_PORT...) of the namespace's Services");
    out.push("#   and, with an ephemeral agent, what the image's ENV sets");
  }
  const { include, exclude } = profileSchema.env.fields;
  out.push(`# include = ${formatToml(include.default ?? [])}   # globs of names to take (the default)`);
  out.push(`# exclude = ${formatToml(exclude.default ?? [])}`);
  out.push("#   (the default: what describes the container's own shell, user and paths)");
  out.push('# set = { LOG_LEVEL = "debug" }   # set or override');
  out.push("", "# [[forward]]                  # a fixed local port for clients that ignore proxies (databases)");
  out.push("# local = 5432", '# remote = "postgres:5432"', "");
  return out.join("\n");
}
