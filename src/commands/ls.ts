import { defineCommand } from "citty";
import { listTargets } from "../targets/list";
import { targetsText } from "../targets/text";
import { clientFor, clusterArgs } from "./_cluster";

export default defineCommand({
  meta: {
    name: "ls",
    description:
      "List the targets in a namespace (deployments, statefulsets, pods, services): readiness and where the agent would run",
  },
  args: {
    ...clusterArgs,
    profile: { type: "string", alias: "p", description: "Take kubeconfig, context and namespace from this profile" },
    json: {
      type: "boolean",
      description: "Print one JSON object (context, namespace, targets) for scripts and editors",
    },
  },
  async run({ args }) {
    const client = await clientFor(args);
    try {
      const list = await listTargets(client, client.namespace);
      process.stdout.write(args.json ? `${JSON.stringify(list, null, 2)}\n` : targetsText(list));
      return 0;
    } finally {
      client.close();
    }
  },
});
