/** What this machine (not the cluster) can do: whether `kfwd run --transparent` works here. */
import { transparentSupport } from "../capabilities/transparent/support";
import type { CheckResult } from "./types";

/** A warning, not a failure: kfwd works without transparent mode, through proxies, rewrites and forwards. */
export function checkTransparent(): CheckResult {
  const support = transparentSupport();
  return support.ok
    ? {
        id: "transparent",
        title: "transparent mode",
        status: "ok",
        detail: "unprivileged user and network namespaces and iptables work here (kfwd run --transparent)",
      }
    : {
        id: "transparent",
        title: "transparent mode",
        status: "warn",
        detail: `not available: ${support.reason}`,
        hint: support.fix,
      };
}
