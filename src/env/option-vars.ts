/**
 * Variables that hold a list of options for a runtime — NODE_OPTIONS, BUN_OPTIONS, JAVA_TOOL_OPTIONS. kfwd's
 * hooks put their part first; where the command starts (`kfwd run`, `kfwd env`), the host's own value of the
 * variable is added after it instead of being replaced, so the user's options keep working. kfwd's own part
 * of a host value (from an earlier `eval "$(kfwd env)"`) is dropped first, so evaluating twice adds nothing.
 */

/** The preload's file name: how kfwd's part of NODE_OPTIONS/BUN_OPTIONS is recognised. */
export const PRELOAD_FILE = "kfwd-preload.cjs";

const JVM_KEYS = [
  "socksProxyHost",
  "socksProxyPort",
  "http.proxyHost",
  "http.proxyPort",
  "https.proxyHost",
  "https.proxyPort",
  "http.nonProxyHosts",
  "socksNonProxyHosts",
];

const word = String.raw`(?:"[^"]*"|\S+)`;
const OURS: Readonly<Record<string, RegExp>> = {
  NODE_OPTIONS: new RegExp(String.raw`(?:^|\s)"?--require=${word}?${PRELOAD_FILE}"?(?=\s|$)`, "g"),
  BUN_OPTIONS: new RegExp(String.raw`(?:^|\s)"?--preload=${word}?${PRELOAD_FILE}"?(?=\s|$)`, "g"),
  JAVA_TOOL_OPTIONS: new RegExp(
    String.raw`(?:^|\s)"?-D(?:${JVM_KEYS.map((k) => k.replaceAll(".", "\\.")).join("|")})=${word}`,
    "g",
  ),
};

export const OPTION_VARIABLES: readonly string[] = Object.keys(OURS);

/** One option, double-quoted when it holds a space (Node and the JVM both read quoted words). */
export function optionWord(option: string): string {
  return /\s/.test(option) ? `"${option.replaceAll('"', '\\"')}"` : option;
}

/** `env` with each option variable kfwd set extended by the host's own value (less kfwd's part of it). */
export function withHostOptions(
  host: Readonly<Record<string, string | undefined>>,
  env: Readonly<Record<string, string>>,
): Record<string, string> {
  const merged = { ...env };
  for (const name of OPTION_VARIABLES) {
    const ours = env[name];
    const theirs = host[name]?.replace(OURS[name] as RegExp, "").trim();
    if (ours === undefined || !theirs || ours.endsWith(theirs)) continue;
    merged[name] = `${ours} ${theirs}`;
  }
  return merged;
}

/**
 * For `kfwd env --unset`: the option variables whose host value still holds something once kfwd's part is
 * taken out — the user's own options, which are set back instead of unset.
 */
export function hostOptionsWithoutKfwd(host: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of OPTION_VARIABLES) {
    const rest = host[name]?.replace(OURS[name] as RegExp, "").trim();
    if (rest) kept[name] = rest;
  }
  return kept;
}
