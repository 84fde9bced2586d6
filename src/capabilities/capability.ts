/**
 * A capability is one thing a session does for the user — outgoing traffic (proxies, forwards), incoming
 * traffic, the pod's files, reaching apps that ignore proxies. The session composes them: it starts the tunnel,
 * then each capability, runs their env stages, reports what they report, and stops them in reverse order.
 * Adding one means a folder under src/capabilities/, its profile section, and one line in ./index.ts.
 */
import type { IncomingOpen } from "../../wire/index";
import type { EnvStage } from "../env/pipeline";
import type { AgentPodHook, BeforeTargetHook } from "../launch/kube/pod-needs";
import type { Tunnel } from "../session/tunnel";
import type { Ui } from "../ui/log";

/** What a capability gets from the session. */
export interface CapabilityContext {
  readonly tunnel: Tunnel;
  readonly ui: Ui;
  /** The debug channel for this capability (KFWD_DEBUG=<name>). */
  readonly log: (message: string) => void;
}

/**
 * What a capability says about itself: `lines` for people (`kfwd up`, `kfwd status`), `data` for scripts
 * (`status --json`, the state file). Plain JSON only: it crosses the control socket and lands in files.
 */
export interface CapabilityReport {
  readonly lines: readonly string[];
  readonly data: Readonly<Record<string, unknown>>;
}

/** What the capabilities of a session serve on this machine, gathered for `wrapCommand`. */
export interface CommandPlace {
  loopbackPorts: readonly number[];
  binds: ReadonlyArray<readonly [host: string, container: string]>;
}

export interface Capability {
  /** Stable name: the key of its report in state and status, and its debug channel. */
  readonly name: string;
  /** Kinds of stream the agent opens toward the host for this capability (wire OPEN kind, version 2). */
  readonly streamKinds?: readonly string[];
  /**
   * Cluster targets: what it needs of the agent's pod (labels, ports, a service account, objects that live as
   * long as the agent). Asked before each agent pod is created; a capability with this gets an agent pod.
   */
  readonly agentPod?: AgentPodHook;
  /** Cluster targets: run once before the target is resolved (incoming: restore what dead sessions left). */
  readonly beforeTarget?: BeforeTargetHook;
  /** Start what lives on the host (listeners, servers). The tunnel is up; its first connect hooks have run. */
  start(context: CapabilityContext): Promise<void>;
  /**
   * Called after every connect to an agent, the first one and each reconnect: re-create what the agent holds
   * for this capability (listeners, watches), which a new agent does not have.
   */
  afterConnect?(tunnel: Tunnel): Promise<void>;
  /** A stream the agent opened, of one of `streamKinds`. */
  onStream?(open: IncomingOpen): void;
  /** Its part of the command's environment (src/env/pipeline.ts). */
  readonly envStages?: readonly EnvStage[];
  /** Where it can be reached, fixed once started: written to the state file, printed by `kfwd up`. */
  describe(): CapabilityReport;
  /** Live figures (counters, rules), asked for by `kfwd status` over the control socket. */
  stats?(): CapabilityReport;
  /** Ports it serves on the host's loopback (proxies, forwards): transparent mode makes them reachable inside. */
  loopbackPorts?(): number[];
  /** Host paths to show at the pod's own paths (the files copy): transparent mode binds them there. */
  binds?(): Array<[host: string, container: string]>;
  /**
   * How `kfwd run` starts the command, if this capability changes that (transparent mode: in namespaces).
   * `place` holds every capability's loopback ports and binds, for the command to see what it would here.
   */
  wrapCommand?(command: readonly string[], place: CommandPlace): string[];
  /** Undo everything `start` and `afterConnect` did. Idempotent. */
  stop(): Promise<void>;
}
