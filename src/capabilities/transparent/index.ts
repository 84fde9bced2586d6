/**
 * Transparent mode (`kfwd run --transparent`, Linux): the command runs in its own user, network and mount
 * namespaces, made without privileges, where every TCP connection and DNS lookup — static binaries, the JVM,
 * psql with a host from a config file — goes through the agent. Loopback stays the command's own; the ports it
 * listens on are published on the host's loopback. See inside.ts (in the namespace) and relay.ts (on the host).
 */
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { KfwdError } from "../../errors";
import { selfCommand } from "../../session/daemon-spawn";
import { stateDir } from "../../session/state";
import type { Capability, CapabilityReport, CommandPlace } from "../capability";
import { type Relay, startRelay } from "./relay";
import { transparentSupport } from "./support";
import { findTool } from "./tools";

/** The hidden command kfwd re-runs itself as inside the namespaces. */
export const INSIDE_COMMAND = "_netns";

export interface TransparentPlace {
  socket: string;
  resolvConf: string;
}

export function transparent(): Capability {
  const base = join(stateDir(), `transparent-${process.pid}`);
  const place: TransparentPlace = { socket: `${base}.sock`, resolvConf: `${base}.resolv.conf` };
  let relay: Relay | undefined;
  return {
    name: "transparent",
    wrapCommand: (command, where) => insideCommand(command, place, where),
    async start({ tunnel, ui, log }) {
      const support = transparentSupport();
      if (!support.ok)
        throw new KfwdError(
          "KFWD_TRANSPARENT_UNSUPPORTED",
          `Cannot use transparent mode: ${support.reason}`,
          support.fix,
        );
      writeFileSync(place.resolvConf, "nameserver 127.0.0.1\noptions ndots:1 timeout:2 attempts:2\n", { mode: 0o644 });
      relay = await startRelay(tunnel, place.socket, log, (m) => ui.warn(m));
    },
    describe(): CapabilityReport {
      return {
        lines: ["transparent `kfwd run --transparent`: every TCP connection and DNS lookup through the agent"],
        data: { ...place },
      };
    },
    stats(): CapabilityReport {
      const s = relay?.stats() ?? { connections: 0, published: [] };
      const ports = s.published.length ? `, ports published: ${s.published.join(", ")}` : "";
      return {
        lines: [`transparent ${s.connections} connection${s.connections === 1 ? "" : "s"} captured${ports}`],
        data: s,
      };
    },
    async stop() {
      await relay?.close();
      relay = undefined;
      rmSync(place.resolvConf, { force: true });
    },
  };
}

/** The command line that runs `command` inside new namespaces, under kfwd's helper. */
export function insideCommand(command: readonly string[], place: TransparentPlace, where: CommandPlace): string[] {
  return [
    findTool("unshare") ?? "unshare",
    "--user",
    "--map-root-user",
    "--net",
    "--mount",
    ...selfCommand(),
    INSIDE_COMMAND,
    "--relay",
    place.socket,
    "--resolv",
    place.resolvConf,
    ...(where.loopbackPorts.length ? ["--loopback", where.loopbackPorts.join(",")] : []),
    ...(where.binds.length ? ["--binds", JSON.stringify(where.binds)] : []),
    "--",
    ...command,
  ];
}
