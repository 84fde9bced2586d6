/** `kfwd completion <shell>`: the script for a shell, from every visible command's definition. */
import { commands } from "../commands/index";
import { bashScript } from "./bash";
import { fishScript } from "./fish";
import { commandSpec, type CommandSpec } from "./model";
import { zshScript } from "./zsh";

export const SHELLS = ["bash", "zsh", "fish"] as const;
export type Shell = (typeof SHELLS)[number];

/** Commands that run another command after `--`: the words there complete as commands and their files. */
const TAKES_COMMAND = new Set(["run"]);

export async function completionSpecs(): Promise<CommandSpec[]> {
  const visible = Object.entries(commands).filter(([name]) => !name.startsWith("_"));
  return Promise.all(visible.map(async ([name, load]) => commandSpec(name, await load(), TAKES_COMMAND.has(name))));
}

export async function completionScript(shell: Shell): Promise<string> {
  const specs = await completionSpecs();
  return shell === "bash" ? bashScript(specs) : shell === "zsh" ? zshScript(specs) : fishScript(specs);
}
