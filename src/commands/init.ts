import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { relative, resolve } from "node:path";
import { defineCommand } from "citty";
import { checkLine, fancyOutput } from "../doctor/report";
import { runDoctor } from "../doctor/index";
import { KfwdError } from "../errors";
import { envPreview, type EnvPreview } from "../init/env-preview";
import { profileText } from "../init/profile-text";
import { canPrompt, type Prompter, terminalPrompter } from "../init/prompt";
import { schemaLocation } from "../init/schema-location";
import { KubeClient } from "../kube/client";
import { loadKubeconfig, resolveContext } from "../kube/kubeconfig";
import type { ClusterTarget } from "../launch/kube/resolve";
import { resolveTarget } from "../launch/kube/resolve";
import { loadProfile, parseProfile } from "../profile/index";
import { nearest } from "../profile/suggest";
import { listTargets, type TargetList, type TargetRow, targetName } from "../targets/list";
import { clusterArgs } from "./_cluster";

export default defineCommand({
  meta: {
    name: "init",
    description:
      "Write a commented profile from the cluster (context, namespace, a target picked from a list), then run the doctor's checks on it",
  },
  args: {
    ...clusterArgs,
    target: {
      type: "string",
      alias: "t",
      description:
        'The target: deployment/<name>, statefulset/<name>, pod/<name>, service/<name>, or "none" (kfwd ls lists them)',
    },
    container: { type: "string", description: "The target pod's container (default: its default container)" },
    out: { type: "string", alias: "o", default: "kfwd.toml", description: "The profile file to write" },
    force: { type: "boolean", description: "Overwrite the file if it exists" },
    yes: {
      type: "boolean",
      alias: "y",
      description:
        "Ask nothing: flags, else the current context and its namespace (a target must be given with --target)",
    },
    schema: {
      type: "string",
      description: "What the profile's #:schema line points at, a URL or path (default: the schema shipped with kfwd)",
    },
    "run-check": {
      type: "boolean",
      default: true,
      description: "Doctor: start a short-lived pod with the agent image",
      negativeDescription: "Doctor: skip the agent image check (creates nothing in the cluster)",
    },
  },
  async run({ args }) {
    const out = resolve(args.out);
    if (existsSync(out) && !args.force)
      throw new KfwdError(
        "KFWD_INIT_EXISTS",
        `Cannot write "${out}": the file exists`,
        "Pass --force to overwrite it, or name another file with --out.",
      );
    const prompter = !args.yes && canPrompt() ? terminalPrompter() : undefined;
    try {
      const kubeconfig = args.kubeconfig ? resolve(args.kubeconfig) : undefined;
      const config = loadKubeconfig({ kubeconfig });
      const contexts = [...config.contexts.keys()].sort();
      const context =
        args.context ??
        (prompter && contexts.length > 1
          ? await prompter.pick(
              "Kubernetes context:",
              contexts,
              (c) => c,
              Math.max(0, contexts.indexOf(config.currentContext ?? "")),
            )
          : undefined);
      const resolved = resolveContext(config, { context });
      const namespace =
        args.namespace ?? (prompter ? await prompter.ask("Namespace", resolved.namespace) : resolved.namespace);
      const client = new KubeClient(resolveContext(config, { context: resolved.contextName, namespace }));
      try {
        const list = await listTargets(client, namespace);
        const target = await chooseTarget(list, args.target, prompter);
        const env =
          target && target.ready > 0 ? await previewEnv(client, namespace, target, args.container) : undefined;
        const file = relative(process.cwd(), out) || out;
        const text = profileText(
          {
            schema: args.schema ?? (await schemaLocation()),
            context: resolved.contextName,
            namespace,
            kubeconfig,
            target,
            container: args.container,
            env: env?.preview,
            ephemeralAllowed: list.ephemeralAllowed,
          },
          file.includes(" ") ? JSON.stringify(file) : file,
        );
        parseProfile(text, out); // what init writes must load: a failure here is a bug, not the user's
        await writeFile(out, text, { flag: args.force ? "w" : "wx" });
        process.stdout.write(
          `Wrote ${file}: context "${resolved.contextName}", namespace "${namespace}", ${target ? targetName(target) : "no target (an agent pod)"}\n`,
        );
        if (env) {
          const from = `container "${env.container}" of pod ${env.pod}`;
          const names = env.preview.names.length > 0 ? env.preview.names.join(", ") : "(none in its spec)";
          process.stdout.write(`Env from ${from} (names only): ${names}\n`);
          for (const s of env.preview.sources) process.stdout.write(`  and ${s}\n`);
        }
      } finally {
        client.close();
      }
    } finally {
      prompter?.close();
    }
    process.stdout.write("Checking it (kfwd doctor):\n");
    const fancy = fancyOutput(process.stdout);
    const report = await runDoctor(await loadProfile(out), {
      runCheck: args["run-check"] !== false,
      onCheck: (c) => process.stdout.write(`${checkLine(c, fancy)}\n`),
    });
    return report.ok ? 0 : 1;
  },
});

async function chooseTarget(
  list: TargetList,
  wanted: string | undefined,
  prompter: Prompter | undefined,
): Promise<TargetRow | undefined> {
  const names = list.targets.map(targetName);
  if (wanted !== undefined) {
    if (wanted === "none") return undefined;
    const found = list.targets.find((t) => targetName(t) === wanted);
    if (found) return found;
    const guess = nearest(wanted, names);
    throw new KfwdError(
      "KFWD_TARGET_NOT_FOUND",
      `Cannot use target "${wanted}": there is no such target in namespace "${list.namespace}"`,
      `${guess ? `Did you mean "${guess}"? ` : ""}Targets: ${names.join(", ") || "(none)"}, or "none" for an agent pod.`,
    );
  }
  if (!prompter)
    throw new KfwdError(
      "KFWD_USAGE",
      "Cannot choose a target without a terminal",
      `Pass --target: one of ${names.slice(0, 8).join(", ") || "(none here)"}${names.length > 8 ? ", ..." : ""}, or "none" (\`kfwd ls\` lists them).`,
    );
  const choices: (TargetRow | undefined)[] = [...list.targets, undefined];
  const firstReady = list.targets.findIndex((t) => t.kind !== "pod" && t.ready > 0);
  return prompter.pick(
    `Target in namespace "${list.namespace}" (the session runs beside it):`,
    choices,
    (t) =>
      t
        ? `${targetName(t).padEnd(40)} ${t.ready}/${t.desired} ready${t.problem ? ` (${t.problem})` : ""}`
        : "none: an agent pod (cluster network and DNS, no pod's env)",
    firstReady === -1 ? choices.length - 1 : firstReady,
  );
}

async function previewEnv(
  client: KubeClient,
  namespace: string,
  t: TargetRow,
  container: string | undefined,
): Promise<{ pod: string; container: string; preview: EnvPreview }> {
  const c = container === undefined ? {} : { container };
  const target: ClusterTarget =
    t.kind === "pod"
      ? { kind: "pod", name: t.name, ...c }
      : t.kind === "service"
        ? { kind: "service", name: t.name, ...c }
        : { kind: "workload", workload: t.kind, name: t.name, ...c };
  const resolved = await resolveTarget(client, namespace, target);
  const spec = resolved.pod.spec.containers.find((x) => x.name === resolved.container);
  return {
    pod: resolved.pod.metadata.name,
    container: resolved.container,
    preview: spec ? envPreview(resolved.pod, spec) : { names: [], sources: [], serviceLinks: false },
  };
}
