/**
 * Printing a doctor report: one line per check (✓/✗ on a colour terminal, ok/FAIL otherwise, so logs and
 * scripts grep the same words), then, when permissions are missing, the exact Role and commands to grant them.
 */
import type { DoctorReport } from "./index";
import { roleYaml, rulesFor } from "./role";
import type { CheckResult, CheckStatus } from "./types";

const FANCY: Record<CheckStatus, [string, string]> = {
  ok: ["✓", "32"],
  fail: ["✗", "31"],
  warn: ["!", "33"],
  skip: ["-", "2"],
};
const PLAIN: Record<CheckStatus, string> = { ok: "ok", fail: "FAIL", warn: "warn", skip: "skip" };

export function fancyOutput(stream: { isTTY?: boolean }): boolean {
  return stream.isTTY === true && process.env.NO_COLOR === undefined && process.env.TERM !== "dumb";
}

export function checkLine(c: CheckResult, fancy: boolean): string {
  const mark = fancy ? `\x1b[${FANCY[c.status][1]}m${FANCY[c.status][0]}\x1b[0m` : PLAIN[c.status].padEnd(4);
  const hint =
    c.hint && c.status !== "ok" && c.status !== "skip" && c.id !== "permissions"
      ? `\n       ${c.hint.replace(/\n/g, "\n       ")}`
      : "";
  return `${mark} ${c.title}: ${c.detail}${hint}`;
}

/** The Role with only the missing rules, and the commands that apply and bind it. Named apart from "kfwd", so applying it never replaces a Role that is already there. */
export function grantAdvice(
  report: DoctorReport,
): { roleName: string; roleYaml: string; commands: string[] } | undefined {
  if (report.missing.length === 0 || report.namespace === undefined) return undefined;
  const ns = report.namespace;
  const roleName = "kfwd-missing";
  const yaml = roleYaml(roleName, ns, rulesFor(report.missing));
  const subject = report.user?.name ?? "<you>";
  return {
    roleName,
    roleYaml: yaml,
    commands: [
      `kubectl -n ${ns} apply -f - <<'EOF'\n${yaml}EOF`,
      `kubectl -n ${ns} create rolebinding ${roleName} --role=${roleName} --user=${subject}`,
    ],
  };
}

export function reportText(report: DoctorReport, _fancy: boolean): string {
  const out: string[] = [];
  const grant = grantAdvice(report);
  if (grant) {
    out.push("", `Missing in namespace "${report.namespace}" (verb, resource, namespace):`);
    for (const p of report.missing)
      out.push(`  ${p.verb} ${p.resource}${p.group ? ` (apiGroup ${p.group})` : ""} in ${report.namespace}`);
    out.push(
      "",
      "A cluster admin can grant them with this Role (or apply deploy/kfwd-role.yaml, which holds everything kfwd needs):",
      "",
      ...grant.commands,
      "",
    );
  }
  const failedCount = report.checks.filter((c) => c.status === "fail").length;
  out.push(
    failedCount === 0
      ? "kfwd can run with this profile."
      : `${failedCount} check${failedCount === 1 ? "" : "s"} failed.`,
  );
  return `${out.join("\n")}\n`;
}

export function reportJson(report: DoctorReport): string {
  const grant = grantAdvice(report);
  return `${JSON.stringify({ ...report, ...(grant ? { grant } : {}) }, null, 2)}\n`;
}
