import { expect, test } from "bun:test";
import { parse } from "smol-toml";
import { indexKeys, locate } from "../../src/profile/locate";

const SOURCE = `# comment [not = a table]
title = "x # not a comment"
multi = """
  [fake]
  key = 1
"""
literal = '''
[also.fake]'''

[cluster]
namespace = "shop" # trailing comment
"quoted.key" = 1
a.b . c = true

[env]
set = { LOG_LEVEL = "debug", "X.Y" = "1", nested = { deep = 2 } }
exclude = [
  "A", # first
  "B",
  [1, 2],
]

[[forward]]
local = 1

[[forward]]
local = 2

[[forward.extra]]
x = 1

[[forward]]
when = 1979-05-27 07:32:00Z
local = 3
`;

const index = indexKeys(SOURCE);
const at = (...path: (string | number)[]) => locate(index, path);

test("the fixture is valid TOML (the locator only ever sees parsed text)", () => {
  expect(() => parse(SOURCE)).not.toThrow();
});

test("strings that look like tables or comments are skipped", () => {
  expect(at("title")).toEqual({ line: 2, column: 1 });
  expect(at("literal")).toEqual({ line: 7, column: 1 });
  expect(at("fake")).toBeUndefined();
  expect(at("also")).toBeUndefined();
});

test("tables, quoted and dotted keys", () => {
  expect(at("cluster")).toEqual({ line: 10, column: 1 });
  expect(at("cluster", "namespace")).toEqual({ line: 11, column: 1 });
  expect(at("cluster", "quoted.key")).toEqual({ line: 12, column: 1 });
  expect(at("cluster", "a", "b", "c")).toEqual({ line: 13, column: 1 });
  expect(at("cluster", "a")).toEqual({ line: 13, column: 1 });
});

test("inline tables and multi-line arrays", () => {
  expect(at("env", "set", "LOG_LEVEL")).toEqual({ line: 16, column: 9 });
  expect(at("env", "set", "X.Y")).toEqual({ line: 16, column: 30 });
  expect(at("env", "set", "nested", "deep")).toEqual({ line: 16, column: 54 });
  expect(at("env", "exclude", 0)).toEqual({ line: 18, column: 3 });
  expect(at("env", "exclude", 1)).toEqual({ line: 19, column: 3 });
  expect(at("env", "exclude", 2, 1)).toEqual({ line: 20, column: 7 });
});

test("arrays of tables, nested ones, and dates", () => {
  expect(at("forward")).toEqual({ line: 23, column: 1 });
  expect(at("forward", 0, "local")).toEqual({ line: 24, column: 1 });
  expect(at("forward", 1, "local")).toEqual({ line: 27, column: 1 });
  expect(at("forward", 1, "extra", 0, "x")).toEqual({ line: 30, column: 1 });
  expect(at("forward", 2)).toEqual({ line: 32, column: 1 });
  expect(at("forward", 2, "local")).toEqual({ line: 34, column: 1 });
});

test("a missing key falls back to its nearest located parent", () => {
  expect(at("forward", 1, "remote")).toEqual({ line: 26, column: 1 });
  expect(at("agent", "cpu")).toBeUndefined();
});

test("CRLF line endings", () => {
  const crlf = indexKeys('[cluster]\r\ncontext = "a"\r\nnamespace = "b"\r\n');
  expect(locate(crlf, ["cluster", "namespace"])).toEqual({ line: 3, column: 1 });
});
