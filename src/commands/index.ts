import type { CommandDef } from "citty";

/** Command name → lazy import, so `kfwd --help` and each command load only what they use. */
// biome-ignore lint: citty's CommandDef is generic over each command's own args
type AnyCommand = CommandDef<any>;

export const commands: Record<string, () => Promise<AnyCommand>> = {
  run: () => import("./run").then((m) => m.default as AnyCommand),
  env: () => import("./env").then((m) => m.default as AnyCommand),
  up: () => import("./up").then((m) => m.default as AnyCommand),
  status: () => import("./status").then((m) => m.default as AnyCommand),
  down: () => import("./down").then((m) => m.default as AnyCommand),
  doctor: () => import("./doctor").then((m) => m.default as AnyCommand),
  clean: () => import("./clean").then((m) => m.default as AnyCommand),
  // Hidden (meta.hidden): the background process `up` and `env` start.
  _session: () => import("./_session").then((m) => m.default as AnyCommand),
};
