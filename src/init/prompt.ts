/** Questions on a terminal for `kfwd init`: a numbered list read from stdin, asked on stderr. */
import { createInterface, type Interface } from "node:readline/promises";

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
  return {
    async pick(question, items, label, defaultIndex) {
      process.stderr.write(`${question}\n`);
      process.stderr.write(items.map((t, i) => `  ${String(i + 1).padStart(3)}) ${label(t)}\n`).join(""));
      for (;;) {
        const answer = (await rl.question(`Number [${defaultIndex + 1}]: `)).trim();
        const n = answer === "" ? defaultIndex + 1 : Number(answer);
        const item = Number.isInteger(n) ? items[n - 1] : undefined;
        if (item !== undefined) return item;
        process.stderr.write(`Type a number from 1 to ${items.length}.\n`);
      }
    },
    async ask(question, defaultValue) {
      const answer = (await rl.question(`${question} [${defaultValue}]: `)).trim();
      return answer === "" ? defaultValue : answer;
    },
    close: () => rl.close(),
  };
}
