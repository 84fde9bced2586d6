import { defineCommand } from "citty";
import { checkLine, fancyOutput, reportJson, reportText } from "../doctor/report";
import { runDoctor } from "../doctor/index";
import { loadProfile } from "../profile/index";

export default defineCommand({
  meta: {
    name: "doctor",
    // One line: it is also the command's row in `kfwd --help`. README's doctor section has the details.
    description:
      "Check kubeconfig, cluster, permissions, ephemeral containers and the agent image; print the Role to grant (exit 1 if anything is missing)",
  },
  args: {
    profile: { type: "positional", description: "Path to the kfwd profile (TOML)", required: true },
    json: {
      type: "boolean",
      description: "Print one JSON object (checks, missing permissions, the Role to grant) instead of text",
    },
    "run-check": {
      type: "boolean",
      default: true,
      description: "Start a short-lived pod with the agent image",
      negativeDescription: "Skip the agent image check (creates nothing in the cluster)",
    },
  },
  async run({ args }) {
    const profile = await loadProfile(args.profile);
    const fancy = fancyOutput(process.stdout);
    const report = await runDoctor(profile, {
      runCheck: args["run-check"] !== false,
      // Text mode prints each line as its check finishes: the image check can take seconds.
      ...(args.json ? {} : { onCheck: (c) => process.stdout.write(`${checkLine(c, fancy)}\n`) }),
    });
    process.stdout.write(args.json ? reportJson(report) : reportText(report, fancy));
    return report.ok ? 0 : 1;
  },
});
