/**
 * Whether this machine can run a command in transparent mode: Linux, unprivileged user namespaces allowed,
 * and the ip and iptables tools (used inside the namespace, where the user is root). Checked before anything
 * starts, and by `kfwd doctor`.
 */
import { spawnSync } from "node:child_process";
import { findTool } from "./tools";

export type Support = { ok: true } | { ok: false; reason: string; fix: string };

const FALLBACK =
  "Without it, kfwd still reaches the cluster through the proxy variables, rewritten addresses and [[forward]] ports: leave out --transparent.";

export function transparentSupport(): Support {
  if (process.platform !== "linux")
    return { ok: false, reason: `it needs Linux namespaces; this is ${process.platform}`, fix: FALLBACK };
  const unshare = findTool("unshare");
  if (!unshare) return { ok: false, reason: "`unshare` is not installed", fix: `Install util-linux. ${FALLBACK}` };
  for (const tool of ["ip", "iptables"]) {
    if (!findTool(tool))
      return {
        ok: false,
        reason: `\`${tool}\` is not installed`,
        fix: `Install ${tool === "ip" ? "iproute2" : "iptables"}. ${FALLBACK}`,
      };
  }
  const probe = spawnSync(
    unshare,
    ["--user", "--map-root-user", "--net", "--mount", findTool("iptables") as string, "-t", "nat", "-S", "OUTPUT"],
    { encoding: "utf8", timeout: 5000 },
  );
  if (probe.status === 0) return { ok: true };
  const why = (probe.stderr || probe.error?.message || "").trim().split("\n")[0] ?? "";
  if (/unshare/.test(why))
    return {
      ok: false,
      reason: `this system forbids unprivileged user namespaces (${why})`,
      fix: `On Ubuntu 23.10 and later AppArmor restricts them: \`sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0\` (or an AppArmor profile allowing userns for kfwd); elsewhere check user.max_user_namespaces. ${FALLBACK}`,
    };
  return {
    ok: false,
    reason: `iptables cannot change NAT rules in a user namespace here (${why})`,
    fix: `The kernel needs the nat table (nf_nat / iptable_nat modules). ${FALLBACK}`,
  };
}
