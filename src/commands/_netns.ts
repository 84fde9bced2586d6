import { defineCommand } from "citty";
import { runInside } from "../capabilities/transparent/inside";
import { argsAfterDashDash } from "./_shared";

/**
 * Transparent mode's helper inside the command's namespaces (started by `kfwd run --transparent` through
 * unshare): not for people to run (hidden from help).
 */
export default defineCommand({
  meta: { name: "_netns", description: "Internal: run a command in transparent mode", hidden: true },
  args: {
    relay: { type: "string", description: "The session's relay socket", required: true },
    resolv: { type: "string", description: "The resolv.conf to bind over /etc/resolv.conf", required: true },
    loopback: { type: "string", description: "Host loopback ports to make reachable inside, comma-separated" },
  },
  run: ({ args, rawArgs }) =>
    runInside({
      relaySocket: args.relay,
      resolvConf: args.resolv,
      loopbackPorts: (args.loopback ?? "").split(",").filter(Boolean).map(Number),
      binds: [],
      command: argsAfterDashDash(rawArgs),
    }),
});
