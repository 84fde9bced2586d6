/** Each env dialect: exact text for simple cases, and round trips of hostile values through real readers. */
import { describe, expect, test } from "bun:test";
import { formatEnv, formatUnset } from "../../src/env/format";
import { dotenvQuote, fishQuote, powershellQuote, shQuote } from "../../src/env/format-quote";
import {
  HAS_FISH,
  HAS_PWSH,
  HAS_PYTHON_DOTENV,
  pythonDotenv,
  readBack,
  strictDotenv,
  strictPowershell,
} from "../helpers/env-readers";
import { ODD_VALUES } from "../helpers/odd-values";

const names = Object.keys(ODD_VALUES);

describe("quoting", () => {
  test("sh: single quotes, a quote as '\\''", () => {
    expect(shQuote("plain")).toBe("'plain'");
    expect(shQuote("it's")).toBe("'it'\\''s'");
    expect(shQuote("$x\n\\")).toBe("'$x\n\\'");
  });
  test("fish: only backslash and quote escaped", () => {
    expect(fishQuote("it's a \\ $x")).toBe("'it\\'s a \\\\ $x'");
  });
  test("powershell: quotes doubled, typographic ones too", () => {
    expect(powershellQuote("it's")).toBe("'it''s'");
    expect(powershellQuote("\u2018x\u2019")).toBe("'\u2018\u2018x\u2019\u2019'");
    expect(powershellQuote("$env:HOME `n")).toBe("'$env:HOME `n'");
  });
  test("dotenv: plain when every reader agrees, else double quotes with 4 escapes", () => {
    expect(dotenvQuote("postgres://u@h:5432/db")).toBe("postgres://u@h:5432/db");
    expect(dotenvQuote("")).toBe("");
    expect(dotenvQuote("a b")).toBe('"a b"');
    expect(dotenvQuote('q"\\\n\r')).toBe('"q\\"\\\\\\n\\r"');
  });
  test('dotenv: a trailing backslash goes unquoted (both parsers misread \\\\" at the end), or cannot be written', () => {
    expect(dotenvQuote("C:\\dir with space\\")).toBe("C:\\dir with space\\");
    expect(dotenvQuote("two\nlines\\")).toBeUndefined();
    expect(dotenvQuote(" lead\\")).toBeUndefined();
    expect(formatEnv({ X: "a #b\\" }, "dotenv").skipped[0]?.reason).toContain("ends in a backslash");
  });
});

describe("formatEnv", () => {
  const env = { B: "two words", A: "1" };
  test("each dialect, sorted by name", () => {
    expect(formatEnv(env, "sh").text).toBe("export A='1'\nexport B='two words'\n");
    expect(formatEnv(env, "fish").text).toBe("set -gx A '1'\nset -gx B 'two words'\n");
    expect(formatEnv(env, "powershell").text).toBe("$env:A = '1'\n$env:B = 'two words'\n");
    expect(formatEnv(env, "dotenv").text).toBe('A=1\nB="two words"\n');
    expect(JSON.parse(formatEnv(env, "json").text)).toEqual(env);
  });

  test("names a shell cannot hold are skipped with the reason; JSON keeps them", () => {
    const odd = { "my-var": "x", "1ST": "y", "a.b": "z", OK: "1" };
    const sh = formatEnv(odd, "sh");
    expect(sh.text).toBe("export OK='1'\n");
    expect(sh.skipped.map((s) => s.name).sort()).toEqual(["1ST", "a.b", "my-var"]);
    expect(sh.skipped[0]?.reason).toContain("not a valid variable name for sh");
    expect(formatEnv(odd, "dotenv").skipped.map((s) => s.name)).toEqual(["1ST"]);
    expect(formatEnv(odd, "json").skipped).toEqual([]);
  });

  test("variables the shell refuses to set are skipped, not emitted to fail in eval", () => {
    expect(formatEnv({ UID: "0", X: "1" }, "sh").skipped.map((s) => s.name)).toEqual(["UID"]);
    expect(formatEnv({ PWD: "/", X: "1" }, "fish").skipped.map((s) => s.name)).toEqual(["PWD"]);
  });

  test("a NUL byte cannot be in any environment", () => {
    expect(formatEnv({ N: "a\0b" }, "json").skipped[0]?.reason).toContain("NUL");
  });
});

describe("formatUnset", () => {
  test("each dialect", () => {
    expect(formatUnset(["B", "A"], "sh").text).toBe("unset A\nunset B\n");
    expect(formatUnset(["A"], "fish").text).toBe("set -e A\n");
    expect(formatUnset(["A"], "powershell").text).toBe("Remove-Item -ErrorAction SilentlyContinue Env:A\n");
    expect(JSON.parse(formatUnset(["A"], "json").text)).toEqual({ A: null });
  });
});

describe("round trips of hostile values", () => {
  test("bash", () => {
    const back = readBack("bash", formatEnv(ODD_VALUES, "sh").text, names);
    expect(back).toEqual(ODD_VALUES);
    const gone = readBack("bash", `${formatEnv(ODD_VALUES, "sh").text}${formatUnset(names, "sh").text}`, names);
    expect(Object.values(gone).every((v) => v === null)).toBe(true);
  });

  test.skipIf(!HAS_FISH)("fish", () => {
    expect(readBack("fish", formatEnv(ODD_VALUES, "fish").text, names)).toEqual(ODD_VALUES);
    const gone = readBack("fish", `${formatEnv(ODD_VALUES, "fish").text}${formatUnset(names, "fish").text}`, names);
    expect(Object.values(gone).every((v) => v === null)).toBe(true);
  });

  test.skipIf(!HAS_PWSH)("PowerShell", () => {
    expect(readBack("pwsh", formatEnv(ODD_VALUES, "powershell").text, names)).toEqual(ODD_VALUES);
  });

  test("PowerShell, by its quoting rules (pwsh is rarely installed on Linux)", () => {
    expect(strictPowershell(formatEnv(ODD_VALUES, "powershell").text)).toEqual(ODD_VALUES);
  });

  test("dotenv, strict parser of kfwd's dialect", () => {
    expect(strictDotenv(formatEnv(ODD_VALUES, "dotenv").text)).toEqual(ODD_VALUES);
  });

  test.skipIf(!HAS_PYTHON_DOTENV)("dotenv, python-dotenv", () => {
    expect(pythonDotenv(formatEnv(ODD_VALUES, "dotenv").text)).toEqual(ODD_VALUES);
  });

  test("JSON", () => {
    expect(JSON.parse(formatEnv(ODD_VALUES, "json").text)).toEqual(ODD_VALUES);
  });
});
