/**
 * The schema is the single source: the committed reference docs must be its output, and the example
 * config must parse, be valid, and mention every key (set, or commented out) and no key the schema lacks.
 */
import { expect, test } from "bun:test";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { parseProfile, profileSchema } from "../../src/profile/index";
import { withReadmeReference } from "../../src/profile/readme-section";
import { renderProfileDocsPage, renderProfileReference } from "../../src/profile/reference";

const root = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));

test("docs/profile.md is generated from the schema (run `bun run scripts/profile-docs.ts`)", async () => {
  expect(await readFile(root("docs/profile.md"), "utf8")).toBe(renderProfileDocsPage());
});

test("README.md's profile reference is generated from the schema (run `bun run scripts/profile-docs.ts`)", async () => {
  const readme = await readFile(root("README.md"), "utf8");
  expect(readme).toBe(withReadmeReference(readme, renderProfileReference()));
});

test("the reference has a row for every key of every section", () => {
  const ref = renderProfileReference();
  for (const [name, section] of Object.entries(profileSchema)) {
    expect(ref).toContain(section.kind === "array" ? `### [[${name}]]` : `### [${name}]`);
    for (const key of Object.keys(section.fields)) expect(ref).toContain(`| \`${key}\` |`);
  }
});

test("config.example.toml parses and is valid", async () => {
  const text = await readFile(root("config.example.toml"), "utf8");
  const p = parseProfile(text, root("config.example.toml"));
  expect(p.target.kind).toBe("local");
});

/** Section → keys the example mentions, set (`key = `) or commented out (`# key = `). */
function mentionedKeys(text: string): Map<string, Set<string>> {
  const found = new Map<string, Set<string>>();
  let section = "";
  for (const line of text.split("\n")) {
    const header = /^#?\s*\[\[?([a-z_]+)\]\]?\s*(#.*)?$/.exec(line);
    if (header) {
      section = header[1] ?? "";
      continue;
    }
    const key = /^#?\s*([a-z_]+)\s*=/.exec(line);
    if (key) {
      const keys = found.get(section) ?? new Set<string>();
      keys.add(key[1] ?? "");
      found.set(section, keys);
    }
  }
  return found;
}

test("config.example.toml mentions every schema key, and only schema keys", async () => {
  const mentioned = mentionedKeys(await readFile(root("config.example.toml"), "utf8"));
  const schemaKeys = new Map(Object.entries(profileSchema).map(([name, s]) => [name, new Set(Object.keys(s.fields))]));
  for (const [name, keys] of schemaKeys) {
    for (const key of keys)
      expect({ section: name, key, mentioned: mentioned.get(name)?.has(key) ?? false }).toEqual({
        section: name,
        key,
        mentioned: true,
      });
  }
  for (const [section, keys] of mentioned) {
    for (const key of keys)
      expect({ section, key, inSchema: schemaKeys.get(section)?.has(key) ?? false }).toEqual({
        section,
        key,
        inSchema: true,
      });
  }
});
