/** What one doctor check found. */
import type { Permission } from "./role";

/** ok: passed. fail: kfwd cannot work. warn: works, with a limit. skip: not run (flag, or an earlier failure). */
export type CheckStatus = "ok" | "fail" | "warn" | "skip";

export interface CheckResult {
  /** Stable id for --json: "kubeconfig", "cluster", "permissions", "ephemeral", "agent-image". */
  id: string;
  title: string;
  status: CheckStatus;
  /** What was found, one line. */
  detail: string;
  /** How to fix a failure or warning. */
  hint?: string;
  /** Only on "permissions": what SelfSubjectAccessReview denied. */
  missing?: Permission[];
}
