import type { CommandDef } from "citty";

/** Command name → lazy import, so `kfwd --help` and each command load only what they use. */
// biome-ignore lint: citty's CommandDef is generic over each command's own args
type AnyCommand = CommandDef<any>;

export const commands: Record<string, () => Promise<AnyCommand>> = {
  run: () => import("./run").then((m) => m.default as AnyCommand),
};
