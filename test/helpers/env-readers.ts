/**
 * Real readers of each env dialect, for round trips: bash and fish themselves, python-dotenv when it is
 * installed, and strict parsers (dotenv, PowerShell single quotes) for where no real reader is at hand.
 */
import { spawnSync } from "node:child_process";

export const has = (cmd: string, ...args: string[]): boolean => spawnSync(cmd, args, { stdio: "ignore" }).status === 0;
export const HAS_FISH = has("fish", "--version");
export const HAS_PWSH = has("pwsh", "-NoProfile", "-Command", "exit 0");
export const HAS_PYTHON_DOTENV = has("python3", "-c", "import dotenv");

/** Runs `script` (the env output) in a shell, then prints each named variable as JSON (null if unset). */
export function readBack(
  shell: "bash" | "fish" | "pwsh",
  script: string,
  names: readonly string[],
): Record<string, string | null> {
  const dump = `${process.execPath} -e 'const o={};for(const n of JSON.parse(process.argv[1]))o[n]=process.env[n]??null;console.log(JSON.stringify(o))' '${JSON.stringify(names)}'`;
  const argv =
    shell === "pwsh"
      ? ["pwsh", "-NoProfile", "-Command", `${script}\n& ${dump.replace(/^(\S+) -e/, "'$1' -e")}`]
      : [shell, "-c", `${script}\n${dump}`];
  const r = spawnSync(argv[0] as string, argv.slice(1), {
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp" },
  });
  if (r.status !== 0) throw new Error(`${shell} failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop() as string) as Record<string, string | null>;
}

export function pythonDotenv(text: string): Record<string, string> {
  const py =
    "import sys, json, io, dotenv; print(json.dumps(dotenv.dotenv_values(stream=io.StringIO(sys.stdin.read()), interpolate=False)))";
  const r = spawnSync("python3", ["-c", py], { input: text, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`python-dotenv failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, string>;
}

/**
 * The dotenv dialect kfwd writes, parsed strictly: NAME="..." with exactly the escapes \\ \" \n \r, or
 * NAME=unquoted text that python-dotenv and node's dotenv both take literally (no line break or `#`, no quote
 * or space first, no space last). Anything else (an unknown escape, a stray quote, trailing text) is an error.
 */
export function strictDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const m = /^([A-Za-z_][A-Za-z0-9_.-]*)=(.*)$/.exec(line);
    if (!m) throw new Error(`bad line: ${JSON.stringify(line)}`);
    const [, name, raw] = m as unknown as [string, string, string];
    if (!raw.startsWith('"')) {
      if (raw !== "" && !/^[^\s'"`#][^\r\n#]*(?<!\s)$/.test(raw))
        throw new Error(`unquoted value needs quotes: ${JSON.stringify(raw)}`);
      out[name] = raw;
      continue;
    }
    const body = /^"((?:[^"\\]|\\[\\"nr])*)"$/.exec(raw);
    if (!body) throw new Error(`bad quoted value: ${JSON.stringify(raw)}`);
    out[name] = (body[1] as string).replace(/\\([\\"nr])/g, (_, c: string) =>
      c === "n" ? "\n" : c === "r" ? "\r" : c,
    );
  }
  return out;
}

/** PowerShell's single-quoted string rules (about_Quoting_Rules): `$env:NAME = '...'` lines, '' for a quote. */
export function strictPowershell(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const quote = "['\\u2018\\u2019\\u201A\\u201B]";
  const re = new RegExp(
    `^\\$env:([A-Za-z_][A-Za-z0-9_]*) = ${quote}((?:[^'\\u2018\\u2019\\u201A\\u201B]|${quote}${quote})*)${quote}\\n`,
    "u",
  );
  let rest = text;
  while (rest !== "") {
    const m = re.exec(rest);
    if (!m) throw new Error(`bad PowerShell line at ${JSON.stringify(rest.slice(0, 40))}`);
    out[m[1] as string] = (m[2] as string).replace(new RegExp(`(${quote})${quote}`, "gu"), "$1");
    rest = rest.slice(m[0].length);
  }
  return out;
}
