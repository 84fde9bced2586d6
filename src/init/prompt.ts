/** Questions on a terminal for `kfwd init`: a numbered list read from stdin, asked on stderr. */
import { createInterface, type Interface } from "node:readline/promises";
import { KfwdError } from "../errors";

export interface Prompter {
  /** One of `items` (shown with their labels); Enter takes the default. */
  pick<T>(question: string, items: readonly T[], label: (t: T) => string, defaultIndex: number): Promise<T>;
  /** A line of text; Enter takes the default. */
  ask(question: string, defaultValue: string): Promise<string>;
  close(): void;
}

/** Only when both ends are a terminal: in a script every choice comes from a flag. */
export function canPrompt(): boolean {
  return process.stdin.isTTY === true && process.stderr.isTTY === true;
}

export function terminalPrompter(): Prompter {
  const rl: Interface = createInterface({ input: process.stdin, output: process.stderr });
  // Ctrl-C or Ctrl-D at a question cancels init: nothing has been written yet.
  let cancel = new AbortController();
  rl.on("SIGINT", () => cancel.abort());
  const question = async (text: string): Promise<string> => {
    cancel = new AbortController();
    try {
      return await rl.question(text, { signal: cancel.signal });
    } catch (e) {
      if (e instanceof Error && e.name === "AbortError") {
        process.stderr.write("\n");
        throw new KfwdError(
          "KFWD_INIT_CANCELLED",
          "Cancelled: no profile was written",
          "Run kfwd init again, or give every choice as a flag (kfwd init --help).",
        );
      }
      throw e;
    }
  };
  return {
    async pick(title, items, label, defaultIndex) {
      process.stderr.write(`${title}\n`);
      process.stderr.write(items.map((t, i) => `  ${String(i + 1).padStart(3)}) ${label(t)}\n`).join(""));
      for (;;) {
        const answer = (await question(`Number [${defaultIndex + 1}]: `)).trim();
        const n = answer === "" ? defaultIndex + 1 : Number(answer);
        const item = Number.isInteger(n) ? items[n - 1] : undefined;
        if (item !== undefined) return item;
        process.stderr.write(`Type a number from 1 to ${items.length}.\n`);
      }
    },
    async ask(text, defaultValue) {
      const answer = (await question(`${text} [${defaultValue}]: `)).trim();
      return answer === "" ? defaultValue : answer;
    },
    close: () => rl.close(),
  };
}
