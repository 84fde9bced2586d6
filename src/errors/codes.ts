/**
 * Every error code kfwd reports, with its meaning and usual fix: the one list. `ErrorCode` is its keys, so a code
 * not listed here fails to compile at a throw site; docs/errors.md is generated from it
 * (`bun run scripts/error-docs.ts`) and test/errors/docs.test.ts checks both the docs and that every "KFWD_..."
 * literal in the source is either a code here or a known environment variable.
 *
 * Codes are stable: scripts match on them. Add codes; do not rename or reuse one. The codes the protocol and the
 * agent raise are also named (names only, so the agent bundle stays small) in wire/error-codes.ts.
 */
import type { WireErrorCode } from "../../wire/error-codes";

/** The sections of docs/errors.md, in order. */
export const ERROR_AREAS = {
  cli: "Command line",
  profile: "Profile",
  kubeconfig: "Kubeconfig and credentials",
  api: "Kubernetes API",
  target: "Target",
  agent: "Starting the agent",
  exec: "Exec stream (the agent's connection through the API server)",
  wire: "Agent connection (wire protocol)",
  dial: "Connections through the agent",
  agentCalls: "Answers from the agent",
  local: "Proxies, forwards and background sessions",
  incoming: "Incoming traffic ([incoming])",
  transparent: "Transparent mode (kfwd run --transparent)",
  doctor: "kfwd doctor",
  lab: "The lab (the project's own test cluster; contributors only)",
} as const;

export type ErrorArea = keyof typeof ERROR_AREAS;

export interface ErrorInfo {
  area: ErrorArea;
  /** When it happens, in one sentence. */
  meaning: string;
  /** The usual fix, when one fits most cases (each error's own hint names the specific one). */
  fix?: string;
}

export const ERRORS = {
  // cli
  KFWD_USAGE: {
    area: "cli",
    meaning: "The command line is incomplete or contradicts itself (no command after `--`, an unknown format).",
    fix: "See `kfwd <command> --help`.",
  },
  KFWD_INVALID_VALUE: {
    area: "cli",
    meaning: "A duration, address or port given as a flag or value cannot be parsed.",
    fix: 'Write durations like "30s" or "1m30s", addresses as "host:port" ("[::1]:8080" for IPv6).',
  },
  KFWD_COMMAND_NOT_FOUND: {
    area: "cli",
    meaning: "The command given to `kfwd run` does not exist or cannot be executed (kfwd exits 127 or 126).",
    fix: "Check the spelling and PATH, or give the program's full path.",
  },

  // profile
  KFWD_PROFILE_NOT_FOUND: {
    area: "profile",
    meaning: "The profile file cannot be read (missing, or no permission).",
    fix: "Check the path; config.example.toml is a starting point.",
  },
  KFWD_PROFILE_INVALID: {
    area: "profile",
    meaning: "The profile is not valid TOML, or has unknown keys, wrong types or bad values (all are listed).",
    fix: "Fix each listed file:line key; docs/profile.md describes every key.",
  },
  KFWD_ROUTE_INVALID: {
    area: "profile",
    meaning: "A `[proxy] cluster` or `direct` rule is not a host name, glob or CIDR block.",
    fix: 'Write rules like "*.svc.cluster.local", "db.internal" or "10.96.0.0/12".',
  },

  // kubeconfig
  KFWD_KUBECONFIG_NOT_FOUND: {
    area: "kubeconfig",
    meaning:
      "No kubeconfig file exists where kfwd looked (`[cluster] kubeconfig`, --kubeconfig, $KUBECONFIG, ~/.kube/config), or it cannot be read.",
    fix: "Point --kubeconfig or KUBECONFIG at your cluster's kubeconfig.",
  },
  KFWD_KUBECONFIG_INVALID: {
    area: "kubeconfig",
    meaning:
      "The kubeconfig is not valid YAML, or a context, cluster or user entry in it is incomplete or refers to one that does not exist.",
    fix: "Compare it with `kubectl config view --raw`.",
  },
  KFWD_CONTEXT_NOT_FOUND: {
    area: "kubeconfig",
    meaning: "The context named (or the current-context) is not in the kubeconfig, or none is set.",
    fix: "Pick one with --context or `[cluster] context`; `kubectl config get-contexts` lists them.",
  },
  KFWD_AUTH_FAILED: {
    area: "kubeconfig",
    meaning:
      "kfwd cannot get or use credentials: an exec plugin or auth-provider failed, a token is expired or empty, or the API server rejected the login (401).",
    fix: "Log in again as kubectl would; `kubectl auth whoami` shows whether kubectl gets in.",
  },

  // api
  KFWD_CLUSTER_UNREACHABLE: {
    area: "api",
    meaning:
      "The API server cannot be reached: connection refused, name not resolved, timeout, or a TLS certificate kfwd does not trust.",
    fix: "Check the server address, your network or VPN, and the kubeconfig's CA; through a proxy (the kubeconfig's proxy-url, or HTTPS_PROXY unless NO_PROXY names the server), the proxy too.",
  },
  KFWD_RBAC_FORBIDDEN: {
    area: "api",
    meaning:
      "The API server denied a request because your user lacks the permission (RBAC); the error names verb, resource and namespace.",
    fix: "Ask a cluster admin for deploy/kfwd-role.yaml in the namespace; `kfwd doctor` prints the missing rules.",
  },
  KFWD_FORBIDDEN: {
    area: "api",
    meaning: "The API server refused a request for a reason other than RBAC, usually an admission policy or webhook.",
    fix: "The server's message says which policy; ask the cluster admin.",
  },
  KFWD_POD_SECURITY_REJECTED: {
    area: "api",
    meaning: "The namespace's Pod Security admission rejected a pod kfwd created.",
    fix: 'kfwd\'s pods meet "restricted"; a stricter policy or webhook is in the way.',
  },
  KFWD_NOT_FOUND: {
    area: "api",
    meaning: "The API server answered 404: the object (or the namespace) does not exist.",
    fix: "Check the name, namespace and context.",
  },
  KFWD_ALREADY_EXISTS: {
    area: "api",
    meaning: "The API server answered 409 AlreadyExists: an object of that name already exists.",
  },
  KFWD_CONFLICT: {
    area: "api",
    meaning: "The API server answered 409 Conflict: the object changed in between.",
    fix: "Try again.",
  },
  KFWD_GONE: {
    area: "api",
    meaning: "The API server answered 410 Gone: a watch's resource version is too old.",
  },
  KFWD_INVALID_REQUEST: {
    area: "api",
    meaning: "The API server rejected a request as invalid (400 or 422).",
    fix: "The server's message names the field.",
  },
  KFWD_API_ERROR: {
    area: "api",
    meaning: "The API server answered with another error status (5xx, 429...).",
    fix: "The server's message says why; retry when the cluster is healthy.",
  },

  // target
  KFWD_TARGET_NOT_FOUND: {
    area: "target",
    meaning: "The `[target]` pod, workload or service does not exist in the namespace (the error lists those that do).",
    fix: "Fix `[target]` in the profile, or `[cluster] namespace`/`context`.",
  },
  KFWD_TARGET_NOT_RUNNING: {
    area: "target",
    meaning: "The `[target] pod` exists but is not running.",
    fix: "Wait for it, or name a workload or service so kfwd picks a ready pod.",
  },
  KFWD_TARGET_NOT_READY: {
    area: "target",
    meaning: "The target workload or service has no ready pod (or selects no pods).",
    fix: "Check `kubectl get pods`; kfwd needs a running, ready pod.",
  },
  KFWD_CONTAINER_NOT_FOUND: {
    area: "target",
    meaning: "The `[target] container` is not a container of the target pod.",
    fix: "Set `[target] container` to one the error lists.",
  },

  // agent
  KFWD_AGENT_START_FAILED: {
    area: "agent",
    meaning:
      "The agent did not start: its pod could not be created or was deleted, its container exited or cannot be configured, or the local agent process failed to spawn.",
    fix: "The error says which; `kubectl logs` of the agent pod shows its output.",
  },
  KFWD_AGENT_START_TIMEOUT: {
    area: "agent",
    meaning: "The agent's container was not running within `[agent] start_timeout`.",
    fix: "Raise `[agent] start_timeout` for slow image pulls, or check the namespace's events.",
  },
  KFWD_AGENT_START_STOPPED: {
    area: "agent",
    meaning: "kfwd stopped waiting for the agent's container because the session was being stopped (e.g. Ctrl-C).",
  },
  KFWD_AGENT_UNSCHEDULABLE: {
    area: "agent",
    meaning: "The scheduler found no node for the agent pod.",
    fix: "Lower `[agent] cpu`/`memory`, or free capacity in the cluster.",
  },
  KFWD_AGENT_IMAGE_PULL: {
    area: "agent",
    meaning: "The node cannot pull `[agent] image`.",
    fix: "Set `[agent] image` to a Bun image the nodes can pull (e.g. a mirror in your registry).",
  },
  KFWD_CLEANUP_SLOW: {
    area: "agent",
    meaning: "On exit, the agent pod was still terminating after kfwd deleted its Job; the cluster removes it shortly.",
    fix: "Nothing, usually; `kfwd clean` removes leftovers.",
  },
  KFWD_NETNS_NOT_FOUND: {
    area: "agent",
    meaning: "A local agent's `[target] netns` network namespace does not exist.",
    fix: "Create it with `ip netns add`, or remove `netns` from the profile.",
  },
  KFWD_NETNS_NEEDS_ROOT: {
    area: "agent",
    meaning: "A local agent in a network namespace needs root for `ip netns exec` (kfwd itself never does).",
    fix: "Run as root, or remove `netns` from the profile.",
  },

  // exec
  KFWD_EXEC_REFUSED: {
    area: "exec",
    meaning: "The API server (or a proxy in front of it) refused the exec WebSocket upgrade.",
    fix: "Allow WebSocket upgrades on the way to the API server.",
  },
  KFWD_EXEC_PROTOCOL: {
    area: "exec",
    meaning: "The API server offered no exec subprotocol kfwd speaks (v4/v5 remote-command).",
    fix: "Use Kubernetes 1.29 or later.",
  },
  KFWD_EXEC_STREAM_FAILED: {
    area: "exec",
    meaning: "The exec connection to the API server broke or stopped answering pings.",
    fix: "Check the network to the cluster; kfwd reconnects where it can.",
  },
  KFWD_EXEC_STREAM_CLOSED: {
    area: "exec",
    meaning:
      "The exec stream closed before the command in the pod reported its exit status (pod deleted, API server restarted).",
  },
  KFWD_EXEC_EXIT: {
    area: "exec",
    meaning: "A command kfwd ran in a container (the agent, a check) exited with a non-zero code.",
    fix: "Its stderr, printed above or in `kubectl logs`, says why; code 137 is SIGKILL or out of memory.",
  },
  KFWD_EXEC_FAILED: {
    area: "exec",
    meaning: "The API server reported that a command kfwd ran in a container could not run at all.",
    fix: "The server's message says why (e.g. the container is gone, the program is missing).",
  },

  // wire
  KFWD_WIRE_PROTOCOL: {
    area: "wire",
    meaning: "Bytes on the agent connection are not the kfwd wire protocol (the error shows them).",
    fix: "Something else writes to the agent's stdout, or the peer is not a kfwd agent.",
  },
  KFWD_WIRE_VERSION: {
    area: "wire",
    meaning: "The agent speaks a protocol version this kfwd does not support.",
    fix: "Use matching kfwd and agent builds.",
  },
  KFWD_WIRE_IDS_EXHAUSTED: {
    area: "wire",
    meaning: "A single agent connection has used up its stream ids (about two billion streams).",
    fix: "Start a new session.",
  },
  KFWD_SESSION_CLOSED: {
    area: "wire",
    meaning:
      "The agent connection ended (the agent exited, the exec stream closed, or kfwd is stopping) while a stream or call used it.",
    fix: "A session reconnects by itself; `kfwd status` shows its state.",
  },
  KFWD_TUNNEL_DOWN: {
    area: "wire",
    meaning: "The session's agent connection has been down for longer than kfwd waits for a reconnect.",
    fix: "Run with KFWD_DEBUG=tunnel to see why reconnecting fails.",
  },
  KFWD_TUNNEL_CLOSED: {
    area: "wire",
    meaning: "A connection was asked of a session that has already ended.",
  },
  KFWD_ENV_TOO_LARGE: {
    area: "cli",
    meaning: "The command's arguments and environment together are larger than the system lets a program start with.",
    fix: "Leave large variables out with [env] exclude, or shorten [env] set.",
  },
  KFWD_INCOMING_FORBIDDEN: {
    area: "incoming",
    meaning: "[incoming] needs permissions the cluster user lacks (checked before anything changes).",
    fix: "Ask an admin to grant the Role kfwd-incoming of deploy/kfwd-role.yaml; `kfwd doctor <profile>` prints what is missing.",
  },
  KFWD_INCOMING_TAKEN: {
    area: "incoming",
    meaning:
      "Another session holds the Service in a way this mode cannot share (replace while others intercept, or the reverse).",
    fix: "Wait for that session to end, or use steal or a filter, which share.",
  },
  KFWD_INCOMING_STARTED: {
    area: "incoming",
    meaning: "The agent was asked to take incoming traffic twice (an internal error).",
  },
  KFWD_INCOMING_NO_CLUSTER: {
    area: "incoming",
    meaning: "[incoming] was set for a local target: there is no cluster traffic to take.",
    fix: "Remove local = true from [target], or remove [incoming].",
  },
  KFWD_INCOMING_NO_TARGET: {
    area: "incoming",
    meaning: "[incoming] needs a target (a Service, workload or pod) whose traffic to take.",
    fix: 'Set service = "<name>" (or pod/workload) in [target].',
  },
  KFWD_INCOMING_NO_SERVICE: {
    area: "incoming",
    meaning: "No Service selects the target pod, so there is no traffic to take.",
    fix: "Name the Service in [target] service, or create one for the workload.",
  },
  KFWD_INCOMING_PORT: {
    area: "incoming",
    meaning:
      "A port in [incoming] ports matches no port of the Services concerned, or a Service's targetPort names a port the pod does not declare.",
    fix: "Use a port the Service exposes (kubectl get service <name> -o yaml).",
  },
  KFWD_INCOMING_NO_WORKLOAD: {
    area: "incoming",
    meaning: 'mode "replace" needs a Deployment or StatefulSet to scale to 0, and the target pod belongs to none.',
    fix: 'Use mode = "steal": it takes the Service and leaves the pods alone.',
  },
  KFWD_PLACEMENT_CONFLICT: {
    area: "incoming",
    meaning: '[incoming] needs an agent pod of its own (a Service selects it), but [agent] placement is "ephemeral".',
    fix: 'Set placement = "pod" (or "auto") in [agent], or remove [incoming].',
  },
  KFWD_INTERCEPT_TABLE_INVALID: {
    area: "incoming",
    meaning: "The kfwd annotation on a Service that records intercepting sessions cannot be read (edited by hand?).",
    fix: "Restore the Service's selector yourself and remove the annotation.",
  },
  KFWD_REACH_ENDPOINT: {
    area: "local",
    meaning: "The loopback endpoint the Node/Bun preload asks for cluster destinations could not be started.",
    fix: "Check that loopback works; or set [reach] node = false.",
  },
  KFWD_INIT_EXISTS: {
    area: "cli",
    meaning: "`kfwd init` would overwrite an existing file.",
    fix: "Pass --force, or choose another --out.",
  },
  KFWD_INIT_CANCELLED: {
    area: "cli",
    meaning: "`kfwd init` was cancelled at a prompt (Ctrl-C or end of input); nothing was written.",
  },
  KFWD_TRANSPARENT_UNSUPPORTED: {
    area: "transparent",
    meaning:
      "This machine cannot run a command in transparent mode (not Linux, no unprivileged user namespaces, no ip/iptables).",
    fix: "The message names what is missing; `kfwd doctor` checks it. Without --transparent, proxy variables, rewritten addresses and [[forward]] ports still reach the cluster.",
  },
  KFWD_TRANSPARENT_SETUP: {
    area: "transparent",
    meaning: "Setting up the command's namespace (loopback, routes, iptables rules, resolv.conf) failed.",
    fix: "Run `kfwd doctor <profile>`; the message names the command that failed.",
  },
  KFWD_TRANSPARENT_NOT_IN_SESSION: {
    area: "transparent",
    meaning:
      "`kfwd run --transparent` found a background session for the profile that was started without transparent mode.",
    fix: "Stop it (kfwd down <profile>) and run again, or set [reach] transparent = true before kfwd up.",
  },
  KFWD_STREAM_LIMIT: {
    area: "wire",
    meaning: "The session holds as many streams as its memory budget allows, and as many more are already waiting.",
    fix: "Close idle connections (or clients that stopped reading), or start another session.",
  },
  KFWD_STREAM_UNSUPPORTED: {
    area: "wire",
    meaning:
      "A stream of a kind the peer did not announce (stream:<kind>), or a peer on protocol version 1, which has no kinds.",
    fix: "Use matching kfwd and agent builds.",
  },
  KFWD_CALL_UNSUPPORTED: {
    area: "wire",
    meaning: "The peer does not offer the requested call (an agent from another kfwd build).",
    fix: "Use matching kfwd and agent builds.",
  },
  KFWD_CALL_TOO_LARGE: {
    area: "wire",
    meaning: "A call's request or answer exceeds the protocol's 16 MiB limit.",
  },
  KFWD_LINK_SECRET: {
    area: "wire",
    meaning:
      "kfwd asked the agent to listen for a second link with a malformed secret (an agent from another kfwd build).",
    fix: "Use matching kfwd and agent builds.",
  },
  KFWD_EXEC_PORTFORWARD_FAILED: {
    area: "exec",
    meaning: "The port-forward link to the agent could not be opened or broke; the session goes on over exec.",
    fix: 'Check that your Role grants get and create on pods/portforward (deploy/kfwd-role.yaml), or set [agent] transport = "exec".',
  },
  KFWD_CALL_FAILED: {
    area: "wire",
    meaning:
      "A call to the agent failed unexpectedly, or its answer carried a code this kfwd does not know (named in the message).",
    fix: "Run with KFWD_DEBUG=agent to see the agent's log.",
  },

  // dial
  KFWD_DIAL_REFUSED: {
    area: "dial",
    meaning: "The destination refused the connection: nothing listens on that port.",
    fix: "Check the port (a Service's port, not its targetPort).",
  },
  KFWD_DIAL_UNREACHABLE: {
    area: "dial",
    meaning: "There is no route to the destination address.",
    fix: "Check the address, and NetworkPolicies in the cluster.",
  },
  KFWD_DIAL_NAME_NOT_FOUND: {
    area: "dial",
    meaning:
      "The destination's name does not resolve (in the pod for cluster routes, on this machine for direct ones).",
    fix: "Check the spelling and the namespace (`service.namespace`).",
  },
  KFWD_DIAL_TIMEOUT: {
    area: "dial",
    meaning: "The destination did not answer the connection attempt in time.",
    fix: "A NetworkPolicy or firewall may drop the traffic.",
  },
  KFWD_DIAL_DENIED: {
    area: "dial",
    meaning: "The operating system did not allow the connection (EACCES/EPERM).",
  },
  KFWD_DIAL_FAILED: {
    area: "dial",
    meaning: "The connection failed for another reason (named in the message).",
  },

  // agent calls
  KFWD_RESOLVE_NAME_NOT_FOUND: {
    area: "agentCalls",
    meaning: "The pod's resolver does not know the name kfwd asked the agent to resolve.",
    fix: "Check the name and namespace (`service.namespace`).",
  },
  KFWD_RESOLVE_FAILED: {
    area: "agentCalls",
    meaning:
      "Resolving a name in the pod failed for a reason other than an unknown name (the resolver's error is named).",
  },
  KFWD_PROCESS_ENV_UNREADABLE: {
    area: "agentCalls",
    meaning:
      "The agent cannot read the target process's environment (usually another UID); kfwd falls back to the pod spec's env.",
    fix: "Set runAsUser in the target container's securityContext, so the agent runs as the target's UID.",
  },
  KFWD_PROCESS_NOT_FOUND: {
    area: "agentCalls",
    meaning: "The agent sees no process of the target container (it does not share the target's PID namespace).",
    fix: 'Use `[agent] placement = "ephemeral"`.',
  },

  // local
  KFWD_PROXY_LISTEN: {
    area: "local",
    meaning: "The SOCKS5 or HTTP proxy cannot listen on its address (port in use, address not local).",
    fix: "Pick another `[proxy] socks`/`http` port, or 0 for any free port.",
  },
  KFWD_FORWARD_LISTEN_FAILED: {
    area: "local",
    meaning: "A `[[forward]]` cannot listen on its `local` address (port in use, address not local).",
    fix: "Pick another `local` port; on Linux, one below the ephemeral range (`/proc/sys/net/ipv4/ip_local_port_range`), which outgoing connections can take at any time.",
  },
  KFWD_CONTROL_LISTEN_FAILED: {
    area: "local",
    meaning: "A background session cannot create its control socket in the state directory.",
    fix: "Check that the state directory ($XDG_RUNTIME_DIR/kfwd or /tmp/kfwd-<uid>) is writable.",
  },
  KFWD_FILES_FAILED: {
    area: "local",
    meaning:
      "The copy of the pod's files ([files]) could not be made or kept: the agent ended it, or the host directory failed.",
    fix: "Run with --verbose (or KFWD_DEBUG=files,agent) to see the reason.",
  },
  KFWD_FILES_DIR_UNSAFE: {
    area: "local",
    meaning: "The [files] dir exists but is not a directory owned by you.",
    fix: "Point [files] dir at a directory of yours, or remove it so kfwd creates it (0700).",
  },
  KFWD_STATE_DIR_UNSAFE: {
    area: "local",
    meaning: "The session state directory is not a directory owned by you.",
    fix: "Remove it, or set XDG_RUNTIME_DIR to a private directory.",
  },
  KFWD_SESSION_START_FAILED: {
    area: "local",
    meaning: "The background session process could not be started, or exited before it was ready.",
    fix: "The error shows the end of its log and the log's path.",
  },
  KFWD_SESSION_START_TIMEOUT: {
    area: "local",
    meaning: "The background session was not ready in time.",
    fix: "See its log (the error names it).",
  },
  KFWD_SESSION_FAILED: {
    area: "local",
    meaning: "The background session stopped on an unexpected error (not one of the codes above).",
    fix: "Its log has the details; please report it.",
  },
  KFWD_SESSION_NOT_FOUND: {
    area: "local",
    meaning: "`kfwd down` was given a profile with no running session.",
    fix: "`kfwd status` lists the running sessions.",
  },

  // doctor
  KFWD_ROLE_INVALID: {
    area: "doctor",
    meaning: "The Role built into kfwd (deploy/kfwd-role.yaml) cannot be read.",
    fix: "Reinstall kfwd, or restore the file in a source checkout.",
  },

  // lab
  KFWD_LAB_USAGE: {
    area: "lab",
    meaning: "`npm run lab --` was given an unknown command.",
    fix: "Use up, down or status.",
  },
  KFWD_LAB_NEEDS_ROOT: {
    area: "lab",
    meaning: "`lab up`/`down` needs root (network namespaces, mounts, containerd).",
    fix: "Run it as root.",
  },
  KFWD_LAB_SPAWN: {
    area: "lab",
    meaning: "The lab's shell script cannot be started.",
    fix: "Install bash.",
  },
  KFWD_LAB_UP_FAILED: {
    area: "lab",
    meaning: "A lab component failed to come up.",
    fix: "The component and its log are printed above; `npm run lab -- down` cleans up.",
  },
} as const satisfies Record<`KFWD_${string}`, ErrorInfo>;

export type ErrorCode = keyof typeof ERRORS;

/** Fails to compile when a code the protocol or the agent raises is missing from the registry. */
const _everyWireCodeListed: Record<WireErrorCode, ErrorInfo> = ERRORS;
void _everyWireCodeListed;

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && Object.hasOwn(ERRORS, code);
}
