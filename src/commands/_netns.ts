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
    binds: { type: "string", description: "JSON [[host path, container path], ...] to bind inside" },
  },
  run: ({ args, rawArgs }) =>
    runInside({
      relaySocket: args.relay,
      resolvConf: args.resolv,
      loopbackPorts: (args.loopback ?? "").split(",").filter(Boolean).map(Number),
      binds: parseBinds(args.binds),
      command: argsAfterDashDash(rawArgs),
    }),
});

/** Written by kfwd itself (insideCommand), but still checked: a pair of absolute paths each. */
function parseBinds(text: string | undefined): Array<[string, string]> {
  if (!text) return [];
  const value: unknown = JSON.parse(text);
  if (!Array.isArray(value)) return [];
  return value.filter(
    (p): p is [string, string] =>
      Array.isArray(p) && p.length === 2 && p.every((x) => typeof x === "string" && x.startsWith("/")),
  );
}
