import type { ArgsDef, CommandDef } from "citty";

/** Command name → lazy import, so `kfwd --help` and each command load only what they use. */
type AnyCommand = CommandDef<ArgsDef>;
/** citty types a command by its own args; the table only needs "some command" (what citty's runner takes). */
const load = (m: Promise<{ default: unknown }>): Promise<AnyCommand> => m.then((x) => x.default as AnyCommand);

export const commands: Record<string, () => Promise<AnyCommand>> = {
  run: () => load(import("./run")),
  env: () => load(import("./env")),
  up: () => load(import("./up")),
  status: () => load(import("./status")),
  down: () => load(import("./down")),
  init: () => load(import("./init")),
  ls: () => load(import("./ls")),
  doctor: () => load(import("./doctor")),
  clean: () => load(import("./clean")),
  schema: () => load(import("./schema")),
  completion: () => load(import("./completion")),
  // Hidden (meta.hidden): the background process `up` and `env` start.
  _session: () => load(import("./_session")),
  // Hidden: transparent mode's helper inside the command's namespaces.
  _netns: () => load(import("./_netns")),
};
