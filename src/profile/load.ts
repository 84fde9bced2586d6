/** Reading a profile file into one validated Profile, or one error that lists every problem in it. */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { parse, TomlError, type TomlTable } from "smol-toml";
import { KfwdError } from "../errors";
import { indexKeys, locate } from "./locate";
import { readSchema, type Problem } from "./read";
import { applyRules, type ShapedProfile, type Target } from "./rules";
import { profileSchema } from "./schema";
import { formatPath } from "./toml-text";

export interface Profile extends ShapedProfile {
  readonly source: { readonly path: string };
  /** A short hash of the profile's absolute path and its target: stable across runs, names the session. */
  readonly id: string;
}

export const PROFILE_DOCS_HINT =
  "Every key, its type and default: docs/profile.md (config.example.toml is a commented example).";

export async function loadProfile(path: string): Promise<Profile> {
  const absolute = resolve(path);
  let text: string;
  try {
    text = await readFile(absolute, "utf8");
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    const reason =
      code === "ENOENT"
        ? "no such file"
        : code === "EISDIR"
          ? "it is a directory"
          : code === "EACCES"
            ? "permission denied"
            : String(e);
    throw new KfwdError(
      "KFWD_PROFILE_NOT_FOUND",
      `Cannot read profile "${absolute}": ${reason}`,
      "Check the path; config.example.toml is a starting point.",
      { cause: e },
    );
  }
  return parseProfile(text, path);
}

/** `path` names the file in messages (as given) and, resolved, in `source.path`; relative keys start at its directory. */
export function parseProfile(text: string, path: string): Profile {
  const absolute = resolve(path);
  const source = text.startsWith("\uFEFF") ? text.slice(1) : text;
  const doc = parseToml(source, path);
  const { value, problems, incomplete } = readSchema(profileSchema, doc, { dir: dirname(absolute) });
  const shaped = applyRules(value, problems, incomplete);
  if (problems.length > 0) throw invalid(path, source, problems);
  return { ...shaped, source: { path: absolute }, id: profileId(absolute, shaped.target) };
}

function parseToml(text: string, path: string): TomlTable {
  try {
    return parse(text);
  } catch (e) {
    if (!(e instanceof TomlError)) throw e;
    // smol-toml's message is "Invalid TOML document: <reason>\n\n<code block>"; keep the reason and the block.
    const reason = (e.message.split("\n")[0] ?? "").replace(/^Invalid TOML document: /, "");
    const block = e.codeblock.trimEnd().replace(/^/gm, "    ");
    throw new KfwdError(
      "KFWD_PROFILE_INVALID",
      `Cannot load profile "${path}": it is not valid TOML\n  ${path}:${e.line}:${e.column}: ${reason}\n${block}`,
      `Fix the TOML syntax at line ${e.line}. ${PROFILE_DOCS_HINT}`,
      { cause: e },
    );
  }
}

function invalid(path: string, text: string, problems: readonly Problem[]): KfwdError {
  const index = indexKeys(text);
  const located = problems.map((p) => ({ p, at: locate(index, p.path) }));
  located.sort(
    (a, b) => (a.at?.line ?? Infinity) - (b.at?.line ?? Infinity) || (a.at?.column ?? 0) - (b.at?.column ?? 0),
  );
  const lines = located.map(({ p, at }) => {
    const where = at ? `${path}:${at.line}:${at.column}` : path;
    return `  ${where}: ${formatPath(p.path)}: ${p.message}.${p.fix !== undefined ? ` ${p.fix}` : ""}`;
  });
  const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
  return new KfwdError(
    "KFWD_PROFILE_INVALID",
    `Cannot load profile "${path}": ${count}\n${lines.join("\n")}`,
    PROFILE_DOCS_HINT,
  );
}

function profileId(absolutePath: string, target: Target): string {
  return createHash("sha256")
    .update(`${absolutePath}\n${targetKey(target)}`)
    .digest("hex")
    .slice(0, 10);
}

/** The target as one string, e.g. "deployment/checkout", "local/kfwd-lab", "none". */
export function targetKey(target: Target): string {
  switch (target.kind) {
    case "pod":
      return `pod/${target.name}`;
    case "workload":
      return `${target.workload}/${target.name}`;
    case "service":
      return `service/${target.name}`;
    case "local":
      return target.netns !== undefined ? `local/${target.netns}` : "local";
    case "none":
      return "none";
  }
}
