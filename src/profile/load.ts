/** Reading a profile file into one validated Profile, or one error that lists every problem in it. */
import { createHash } from "node:crypto";
import { open } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { parse, TomlError, type TomlTable } from "smol-toml";
import { KfwdError } from "../errors";
import { indexKeys, locate } from "./locate";
import { readSchema, type Problem } from "./read";
import { applyRules, type ShapedProfile, type Target } from "./rules";
import { profileSchema } from "./schema";
import { clip, formatPath } from "./toml-text";

export interface Profile extends ShapedProfile {
  readonly source: { readonly path: string };
  /** A short hash of the profile's absolute path and its target: stable across runs, names the session. */
  readonly id: string;
}

export const PROFILE_DOCS_HINT =
  "Every key, its type and default: docs/profile.md (config.example.toml is a commented example).";

/** A profile is a short hand-written file; anything larger is the wrong file (or /dev/zero), not a profile. */
export const MAX_PROFILE_BYTES = 1024 * 1024;
/** Problems listed in full; the rest are counted ("and 9,980 more"), so the output stays readable and bounded. */
const MAX_PROBLEMS_SHOWN = 20;
/** A guard on one problem's line: messages clip what they quote, this bounds whatever slips through. */
const MAX_LINE = 1000;

export async function loadProfile(path: string): Promise<Profile> {
  const absolute = resolve(path);
  let text: string;
  try {
    text = await readBounded(absolute, path);
  } catch (e) {
    if (e instanceof KfwdError) throw e;
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

/**
 * At most MAX_PROFILE_BYTES, read in chunks so that a device or a pipe that never ends (/dev/zero) is refused
 * after that much rather than read without limit.
 */
async function readBounded(absolute: string, path: string): Promise<string> {
  const file = await open(absolute, "r");
  try {
    const buffer = Buffer.allocUnsafe(MAX_PROFILE_BYTES + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await file.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > MAX_PROFILE_BYTES) {
      throw new KfwdError(
        "KFWD_PROFILE_INVALID",
        `Cannot load profile "${path}": it is larger than ${MAX_PROFILE_BYTES / 1024 / 1024} MiB`,
        "A profile is a short TOML file: check that the path names the profile. config.example.toml is a starting point.",
      );
    }
    return new TextDecoder().decode(buffer.subarray(0, length));
  } finally {
    await file.close();
  }
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
    // The source excerpt helps on ordinary lines; a huge line would flood the terminal, so then only line:column.
    const excerpt = e.codeblock.trimEnd();
    const block = excerpt.split("\n").every((l) => l.length <= 200) ? `\n${excerpt.replace(/^/gm, "    ")}` : "";
    throw new KfwdError(
      "KFWD_PROFILE_INVALID",
      `Cannot load profile "${path}": it is not valid TOML\n  ${path}:${e.line}:${e.column}: ${clip(reason)}${block}`,
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
  const lines = located.slice(0, MAX_PROBLEMS_SHOWN).map(({ p, at }) => {
    const where = at ? `${path}:${at.line}:${at.column}` : path;
    const line = `  ${where}: ${formatPath(p.path)}: ${p.message}.${p.fix !== undefined ? ` ${p.fix}` : ""}`;
    return line.length <= MAX_LINE ? line : `${line.slice(0, MAX_LINE)}…`;
  });
  const hidden = problems.length - lines.length;
  if (hidden > 0) lines.push(`  ...and ${hidden} more (fix these first, then run again to see the rest)`);
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
