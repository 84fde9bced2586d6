import { defineCommand } from "citty";
import { KfwdError } from "../errors";
import { isKubeApiError } from "../kube/api-errors";
import { KubeClient } from "../kube/client";
import { currentUser, formatAge, sweepLeftovers, type SweepResult, type Verdict } from "../kube/cleanup";
import { loadProfile, parseDuration } from "../profile/index";
import { liveClusterSessions } from "../session/live";
import { listSessions } from "../session/registry";

export default defineCommand({
  meta: {
    name: "clean",
    description: "Remove your leftover agent pods and Jobs (never another user's; never one a session here still uses)",
  },
  args: {
    profile: { type: "string", alias: "p", description: "Take kubeconfig, context and namespace from this profile" },
    kubeconfig: { type: "string", description: "The kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)" },
    context: { type: "string", description: "The kubeconfig context (default: the profile's, else the current one)" },
    namespace: {
      type: "string",
      alias: "n",
      description: "The namespace (default: the profile's, else the context's)",
    },
    "all-namespaces": {
      type: "boolean",
      alias: "A",
      description: "Look in every namespace (needs cluster-wide list permission)",
    },
    "older-than": {
      type: "string",
      default: "1h",
      description:
        "Also remove running objects without a live session on this machine once this old (e.g. 10m; 0s: all)",
    },
    "dry-run": { type: "boolean", description: "Print what would be removed; remove nothing" },
    json: { type: "boolean", description: "Print the result as JSON" },
  },
  async run({ args }) {
    const olderThanMs = parseDuration(args["older-than"]);
    const cluster = args.profile ? (await loadProfile(args.profile)).cluster : undefined;
    const client = await KubeClient.fromKubeconfig({
      kubeconfig: args.kubeconfig ?? cluster?.kubeconfig,
      context: args.context ?? cluster?.context,
      namespace: args.namespace ?? cluster?.namespace,
    });
    try {
      // A session running on this host (kfwd run or a background one) keeps its agent, however old.
      await listSessions(); // cleans the state of background sessions that died
      const live = liveClusterSessions();
      const user = await currentUser(client);
      const all = args["all-namespaces"] === true;
      const result = await sweepLeftovers(client, {
        namespaces: [client.namespace],
        allNamespaces: all,
        liveSessions: live,
        olderThanMs,
        dryRun: args["dry-run"] === true,
      }).catch((e: unknown) => {
        if (all && isKubeApiError(e, 403))
          throw new KfwdError(
            "KFWD_RBAC_FORBIDDEN",
            `Cannot list kfwd objects in all namespaces: ${(e as Error).message}`,
            "Listing across namespaces needs a ClusterRole; drop --all-namespaces and name each namespace with --namespace.",
          );
        throw e;
      });
      const where = all ? "all namespaces" : `namespace "${client.namespace}"`;
      process.stdout.write(
        args.json
          ? `${JSON.stringify(toJson(result, user.name, where), null, 2)}\n`
          : text(result, user.name, where, args["dry-run"] === true),
      );
      return result.failed.length > 0 ? 1 : 0;
    } finally {
      client.close();
    }
  },
});

const name = (v: Verdict) => `${v.object.kind.toLowerCase()}/${v.object.name} in ${v.object.namespace}`;

function text(r: SweepResult, user: string, where: string, dryRun: boolean): string {
  const lines: string[] = [];
  for (const v of r.removed)
    lines.push(`${dryRun ? "would remove" : "removed"} ${name(v)} (${v.reason}, session ${v.object.session || "?"})`);
  for (const f of r.failed) lines.push(`FAILED to remove ${name(f.verdict)}: ${f.error}`);
  for (const v of r.kept) lines.push(`kept ${name(v)}: ${v.reason}`);
  for (const s of r.skipped) lines.push(`note: ${s.kind}s not checked in ${s.namespace}: ${s.reason}`);
  const count = r.removed.length;
  lines.push(
    count === 0 && r.failed.length === 0
      ? `No leftovers of "${user}" in ${where}.`
      : `${dryRun ? "Would remove" : "Removed"} ${count} object${count === 1 ? "" : "s"} of "${user}" in ${where}.`,
  );
  return `${lines.join("\n")}\n`;
}

function toJson(r: SweepResult, user: string, where: string): object {
  const item = (v: Verdict) => ({
    kind: v.object.kind,
    namespace: v.object.namespace,
    name: v.object.name,
    session: v.object.session,
    age: formatAge(Date.now() - v.object.createdAt.getTime()),
    reason: v.reason,
  });
  return {
    user,
    owner: r.owner,
    scope: where,
    removed: r.removed.map(item),
    kept: r.kept.map(item),
    failed: r.failed.map((f) => ({ ...item(f.verdict), error: f.error })),
    skipped: r.skipped,
  };
}
