/**
 * The `oidc` auth-provider: use the id-token kept in the kubeconfig. kfwd does not refresh it (kubectl does,
 * and writes the new token back); an expired token is reported with what to run.
 */
import { KfwdError } from "../errors";
import type { AuthProviderConfig } from "./kubeconfig-types";

/** Seconds of slack so a token does not expire mid-request. */
const EXPIRY_SKEW_MS = 10_000;

export function oidcToken(provider: AuthProviderConfig, userName: string, now = Date.now()): string {
  const idToken = provider.config["id-token"];
  const canRefresh = Boolean(provider.config["refresh-token"] && provider.config["idp-issuer-url"]);
  const refreshHint = canRefresh
    ? `Refresh it by running any kubectl command with this context (e.g. \`kubectl get --raw /version\`), which writes a new id-token to the kubeconfig, or switch the user to an exec plugin such as kubelogin (\`kubectl oidc-login\`).`
    : `Log in again with your OIDC login tool (e.g. kubelogin) to get a new id-token.`;
  if (!idToken) {
    throw new KfwdError(
      "KFWD_AUTH_FAILED",
      `Cannot authenticate as user "${userName}": its oidc auth-provider has no id-token`,
      refreshHint,
    );
  }
  const exp = jwtExpiry(idToken);
  if (exp !== undefined && exp - EXPIRY_SKEW_MS <= now) {
    throw new KfwdError(
      "KFWD_AUTH_FAILED",
      `Cannot authenticate as user "${userName}": its OIDC id-token expired at ${new Date(exp).toISOString()}`,
      refreshHint,
    );
  }
  return idToken;
}

/** The `exp` claim of a JWT in epoch ms, or undefined when the token has none or is not a JWT. */
export function jwtExpiry(jwt: string): number | undefined {
  const payload = jwt.split(".")[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { exp?: unknown };
    return typeof claims.exp === "number" ? claims.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
