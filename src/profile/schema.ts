/**
 * THE profile schema: every key kfwd reads from a profile, in one place. The Profile type, the validator,
 * docs/profile.md and the checks on config.example.toml all come from here. Add a key only when kfwd does
 * something with it.
 */
import { boolean, duration, hostPort, oneOf, path, string, stringList, stringMap } from "./fields";
import { arrayOfTables, BadValue, field, table, type SchemaValue } from "./schema-kit";
import { variableProblem } from "../env/limits";
import { describeToml } from "./toml-text";
import { routeRuleProblem } from "../proxy/routes";
import { isGlob } from "../text/glob";
import {
  envGlobProblem,
  isKubeLabel,
  isKubeName,
  isLoopbackHost,
  isQuantity,
  parseHostPort,
  type HostPort,
} from "./values";

/** The image the agent runs in when [agent] image is not set: an official Bun image, pinned. */
export const DEFAULT_AGENT_IMAGE = "docker.io/oven/bun:1.4.5-slim";

export const WORKLOAD_KINDS = ["deployment", "statefulset", "replicaset"] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

const label = (what: string) => (s: string) =>
  isKubeLabel(s)
    ? undefined
    : `${JSON.stringify(s)} is not a valid ${what} name (lowercase letters, digits and '-', at most 63)`;
const objectName = (what: string) => (s: string) =>
  isKubeName(s)
    ? undefined
    : `${JSON.stringify(s)} is not a valid ${what} name (lowercase letters, digits, '-' and '.')`;
const quantity = (s: string) =>
  isQuantity(s) ? undefined : `${JSON.stringify(s)} is not a Kubernetes quantity like "500m" or "128Mi"`;

/** "deployment/checkout" → { kind, name }; kind checked here so the error can list the kinds. */
const workload = field(
  "kind/name",
  {
    optional: true,
    example: "deployment/checkout",
    description:
      "A workload whose first ready pod is the target: `deployment/<name>`, `statefulset/<name>` or `replicaset/<name>`.",
  },
  (raw) => {
    if (typeof raw !== "string") throw new BadValue(`Expected a "kind/name" string, got ${describeToml(raw)}`);
    const [kind = "", name = "", ...rest] = raw.split("/");
    const fix = 'Write "deployment/<name>", "statefulset/<name>" or "replicaset/<name>".';
    if (rest.length > 0 || name === "") throw new BadValue(`${JSON.stringify(raw)} is not "kind/name"`, fix);
    if (!(WORKLOAD_KINDS as readonly string[]).includes(kind))
      throw new BadValue(`${JSON.stringify(kind)} is not a supported workload kind`, fix);
    if (!isKubeName(name))
      throw new BadValue(`${JSON.stringify(name)} is not a valid object name (lowercase letters, digits, '-' and '.')`);
    return { kind: kind as WorkloadKind, name };
  },
);

/** A forward's host end: a port (on 127.0.0.1) or "host:port" on a loopback address. */
const forwardLocal = field(
  "port or host:port",
  {
    required: true,
    example: 5432,
    description:
      'Where the forward listens on this machine: a port (on 127.0.0.1) or "host:port" with a loopback host. ' +
      "Pick one below your system's ephemeral range (32768 on Linux, 49152 on macOS): outgoing connections can take " +
      "ports in that range at any time.",
  },
  (raw): HostPort => {
    const fix = 'Write a port like 5432, or "127.0.0.1:5432".';
    if (typeof raw === "number") {
      if (!Number.isInteger(raw) || raw < 1 || raw > 65535)
        throw new BadValue(`Port ${raw} is out of range 1..65535`, fix);
      return { host: "127.0.0.1", port: raw };
    }
    if (typeof raw !== "string")
      throw new BadValue(`Expected a port number or "host:port", got ${describeToml(raw)}`, fix);
    let hp: HostPort;
    try {
      hp = parseHostPort(raw);
    } catch (e) {
      throw new BadValue(e instanceof Error ? e.message : String(e), fix);
    }
    if (!isLoopbackHost(hp.host))
      throw new BadValue(
        `"${hp.host}" is not a loopback address`,
        "Forwards listen on loopback only (127.0.0.1, ::1, localhost): anyone who can connect reaches the cluster.",
      );
    return hp;
  },
);

/** `[incoming] ports`: a Service port, optionally ":<host port>" (default: the same number). */
const incomingPorts = field(
  "array of ports",
  {
    default: [],
    example: [8080, "9090:3000"],
    defaultDoc: "every port of the Service (same numbers on this machine)",
    description:
      'Service ports to take, each a port number (the host app listens on the same port) or "<service port>:<host port>".',
  },
  (raw): Array<{ port: number; host: number }> => {
    const fix = 'Write ports like [8080, "9090:3000"].';
    if (!Array.isArray(raw)) throw new BadValue(`Expected an array of ports, got ${describeToml(raw)}`, fix);
    const port = (v: unknown, i: number): number => {
      const n = typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v;
      if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > 65535)
        throw new BadValue(`Item ${i}: ${JSON.stringify(v)} is not a port (1..65535)`, fix, [i]);
      return n;
    };
    return raw.map((item: unknown, i) => {
      if (typeof item === "string" && item.includes(":")) {
        const [a, b, ...rest] = item.split(":");
        if (rest.length > 0) throw new BadValue(`Item ${i}: ${JSON.stringify(item)} is not "port:hostport"`, fix, [i]);
        return { port: port(a, i), host: port(b, i) };
      }
      const n = port(item, i);
      return { port: n, host: n };
    });
  },
);

/** `[incoming] header`: "Name: value", the value a /regex/ when written so. */
const incomingHeader = field(
  "string",
  {
    optional: true,
    example: "x-dev-user: alice",
    description:
      'steal/mirror: only HTTP/1.1 requests carrying this header go to this machine ("Name: value"; a value written /.../ is a regular expression). The rest go to the cluster\'s pods, and sessions with different filters share the Service.',
  },
  (raw) => {
    const fix = 'Write "Name: value", e.g. "x-dev-user: alice" or "x-dev-user: /^al/".';
    if (typeof raw !== "string") throw new BadValue(`Expected a string, got ${describeToml(raw)}`, fix);
    const colon = raw.indexOf(":");
    const name = raw.slice(0, colon).trim().toLowerCase();
    const value = raw.slice(colon + 1).trim();
    if (colon <= 0 || !/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name) || value === "")
      throw new BadValue(`${JSON.stringify(raw)} is not "Name: value"`, fix);
    const regex = value.length > 2 && value.startsWith("/") && value.endsWith("/");
    const text = regex ? value.slice(1, -1) : value;
    if (regex) {
      try {
        new RegExp(text);
      } catch (e) {
        throw new BadValue(`${JSON.stringify(value)} is not a valid regular expression: ${(e as Error).message}`, fix);
      }
    }
    return { name, value: text, regex };
  },
);

export const profileSchema = {
  cluster: table("Which cluster and namespace to use. Every key defaults to what kubectl would use.", {
    context: string({
      optional: true,
      example: "kind-dev",
      defaultDoc: "the kubeconfig's current context",
      description: "The kubeconfig context.",
    }),
    namespace: string(
      {
        optional: true,
        example: "shop",
        defaultDoc: 'the context\'s namespace, else "default"',
        description: "The namespace of the target and of the agent.",
      },
      label("namespace"),
    ),
    kubeconfig: path({
      optional: true,
      example: "~/.kube/config",
      defaultDoc: "$KUBECONFIG, else ~/.kube/config",
      description:
        'The kubeconfig file. "~/" is the home directory; a relative path starts at the profile\'s directory.',
    }),
  }),

  target: table(
    "What the session runs beside. Set at most one of `pod`, `workload`, `service` and `local`; with none, kfwd starts an agent pod in the namespace (targetless: cluster network and DNS, no pod's env).",
    {
      pod: string(
        { optional: true, example: "checkout-7d9f8b6c5-x2x9p", description: "A pod by name." },
        objectName("pod"),
      ),
      workload,
      service: string(
        {
          optional: true,
          example: "checkout",
          description: "A Service; the target is the first ready pod its selector matches.",
        },
        label("service"),
      ),
      local: boolean({
        optional: true,
        example: true,
        description:
          "Run the agent as a child process on this machine instead of in a cluster (tests, demos, and debugging kfwd itself).",
      }),
      netns: string(
        {
          optional: true,
          example: "kfwd-lab",
          description:
            "With `local = true`: run the agent inside this Linux network namespace (`ip netns exec <name>`).",
        },
        (s) =>
          /^[A-Za-z0-9_.-]+$/.test(s) && s !== "." && s !== ".."
            ? undefined
            : `${JSON.stringify(s)} is not a network namespace name`,
      ),
      container: string(
        {
          optional: true,
          example: "app",
          defaultDoc: "the pod's first container (or its kubectl.kubernetes.io/default-container)",
          description: "Which container of the target pod: its env is read and the agent shares its process view.",
        },
        label("container"),
      ),
    },
  ),

  agent: table("The helper process kfwd runs next to the target. It needs no privileges and installs nothing.", {
    placement: oneOf(["auto", "ephemeral", "pod"] as const, {
      default: "auto",
      example: "ephemeral",
      description:
        "`ephemeral`: an ephemeral container in the target pod (its network identity and env). `pod`: a separate agent pod (targetless sessions; clusters that forbid ephemeral containers). `auto`: ephemeral when there is a target pod and you may add ephemeral containers to it, else pod.",
    }),
    transport: oneOf(["auto", "exec"] as const, {
      default: "auto",
      example: "exec",
      description:
        "How streams reach a cluster agent. `exec`: only over the exec stream that starts it. `auto`: also over a port-forward link to a port the agent opens on the pod's loopback (opened with a per-session secret), when your Role grants `pods/portforward`; new streams prefer it, calls and pings stay on exec. Local targets ignore it.",
    }),
    image: string(
      {
        default: DEFAULT_AGENT_IMAGE,
        example: "registry.example.com/mirror/bun:1.4.5-slim",
        description: "Any image with a `bun` binary; the agent code is sent over stdin, so no custom image is needed.",
      },
      (s) => (s.trim() === "" || /\s/.test(s) ? "an image reference cannot be empty or contain spaces" : undefined),
    ),
    bun: string(
      { default: "bun", example: "/usr/local/bin/bun", description: "The bun command inside the image." },
      (s) => (s === "" ? "the command cannot be empty" : undefined),
    ),
    idle_timeout: duration({
      default: "30s",
      example: "2m",
      description:
        "The agent exits after this long without a connected kfwd (so a crash leaves nothing running). Cluster agents keep it between 8s and 10s, so a killed kfwd leaves nothing behind within seconds.",
    }),
    start_timeout: duration({
      default: "60s",
      example: "2m",
      description: "How long to wait for the agent to start (image pull included) before failing with the reason.",
    }),
    cpu: string(
      { default: "500m", example: "1", description: "The agent container's CPU limit (a Kubernetes quantity)." },
      quantity,
    ),
    memory: string(
      {
        default: "192Mi",
        example: "256Mi",
        description:
          "The agent container's memory limit and request (a Kubernetes quantity). The agent sizes its receive buffers from it: above 128Mi, half of every extra byte, up to 64 MiB — what lets uploads keep up on long links.",
      },
      quantity,
    ),
  }),

  env: table(
    "Which of the target container's runtime environment variables the host process gets. A variable is taken when it matches `include` and no `exclude`; then `set` applies. Globs use `*` and `?`.",
    {
      include: stringList(
        {
          default: ["*"],
          example: ["DATABASE_*", "*_SERVICE_HOST", "*_SERVICE_PORT"],
          description: "Globs of variable names to take.",
        },
        envGlobProblem,
        "array of globs",
      ),
      exclude: stringList(
        {
          default: [
            "HOSTNAME",
            "HOME",
            "PATH",
            "PWD",
            "OLDPWD",
            "SHLVL",
            "TERM",
            "USER",
            "LOGNAME",
            "SHELL",
            "TMPDIR",
            "LD_*",
            "_",
          ],
          example: ["HOSTNAME", "PATH", "AWS_*"],
          description:
            "Globs of variable names to leave out. The default drops what describes the container's own shell, user and filesystem, which would break programs on this machine; service-link variables (`*_SERVICE_HOST`, `KUBERNETES_*`...) are kept on purpose, since reaching those services is the point.",
        },
        envGlobProblem,
        "array of globs",
      ),
      set: stringMap(
        {
          default: {},
          example: { LOG_LEVEL: "debug" },
          description: "Variables to set or override, after include/exclude.",
        },
        (k) => envGlobProblem(k) ?? (isGlob(k) ? "a variable name, not a glob" : undefined),
        "table of strings",
        (k, v) => {
          const tooLarge = variableProblem(k, v);
          if (tooLarge !== undefined)
            throw new BadValue(tooLarge, "Keep large data in a file and set the variable to its path.", [k]);
        },
      ),
    },
  ),

  proxy: table(
    "The SOCKS5 and HTTP proxies on this machine. A destination goes through the agent when it matches `cluster` and no `direct`; loopback is always direct. Names are resolved by the agent (the pod's DNS).",
    {
      socks: hostPort(
        {
          default: "127.0.0.1:0",
          example: "127.0.0.1:1080",
          description: "Where the SOCKS5 proxy listens. Port 0 picks a free port.",
        },
        { listen: true },
      ),
      http: hostPort(
        {
          default: "127.0.0.1:0",
          example: "127.0.0.1:3128",
          description: "Where the HTTP proxy (CONNECT and absolute URIs) listens. Port 0 picks a free port.",
        },
        { listen: true },
      ),
      expose: boolean({
        default: false,
        example: true,
        description:
          "Allow `socks`/`http` on a non-loopback address. Off by default: the proxies give whoever can connect the target pod's network position inside the cluster, so they stay on loopback unless you choose otherwise, and then `username` and `password` are required. Other local users are refused either way (on Linux by the connecting socket's owner, elsewhere by per-session credentials).",
      }),
      cluster: stringList(
        {
          default: ["*"],
          example: ["*.svc.cluster.local", "10.96.0.0/12"],
          description:
            "Destinations (host globs, IPs, CIDRs) routed through the agent. `*` means every destination not matched by `direct`.",
        },
        routeRuleProblem,
        "array of globs/CIDRs",
      ),
      direct: stringList(
        {
          default: [],
          example: ["*.example.com", "192.168.0.0/16"],
          description: "Destinations that bypass the agent and connect from this machine.",
        },
        routeRuleProblem,
        "array of globs/CIDRs",
      ),
      username: string({
        optional: true,
        example: "dev",
        description: "Require this user name (SOCKS5 RFC 1929 / HTTP Basic). Set together with `password`.",
      }),
      password: string({ optional: true, example: "change-me", description: "The password for `username`." }),
    },
  ),

  incoming: table(
    "The cluster's traffic reaching this machine. Set `mode` to turn it on; the Services concerned are `[target] service`, or every Service whose selector matches the target pod. Only Kubernetes objects change (a Service's selector, a workload's replicas), each recorded on the object and restored at the end — by the agent pod itself within a second after a crash, ~10 s after the laptop went offline; by the next kfwd with [incoming] in the namespace if the agent pod died too.",
    {
      mode: oneOf(["steal", "mirror", "replace"] as const, {
        optional: true,
        example: "steal",
        description:
          "`steal`: connections to the Service reach this machine, which answers. `mirror`: the cluster's pods answer; this machine gets a copy of each connection's request bytes (its answers are discarded). `replace`: the workload is scaled to 0 and this machine takes all its traffic.",
      }),
      ports: incomingPorts,
      header: incomingHeader,
      path: string(
        {
          optional: true,
          example: "/api/",
          description: "steal/mirror: only HTTP/1.1 requests whose path starts with this go to this machine.",
        },
        (s) => (s.startsWith("/") ? undefined : `${JSON.stringify(s)} does not start with "/"`),
      ),
    },
  ),

  reach: table(
    'Apps that ignore proxy variables (database clients, Node, the JVM, programs dialing a host and port from the env) reach the cluster unchanged. See README "Reaching the cluster from every app".',
    {
      rewrite: boolean({
        default: true,
        example: false,
        description:
          "Rewrite cluster addresses in the pod's variables and `[env] set` (URLs, host:port, service-link host/port variables) to loopback listeners that lead there through the agent. The host's own environment is never rewritten; `kfwd env --explain` lists each change.",
      }),
      keep: stringList(
        {
          default: ["KUBERNETES_*"],
          example: ["KUBERNETES_*", "SENTRY_DSN", "*.internal.example.com"],
          description:
            "Globs of variable names and of hosts that are never rewritten. The default keeps the API server's variables: a client of the API needs the pod's token and the certificate names the cluster IP.",
        },
        (s) => (s.trim() === "" ? "a glob cannot be empty" : undefined),
        "array of globs",
      ),
      node: boolean({
        default: true,
        example: false,
        description:
          "Add kfwd's preload to NODE_OPTIONS (Node) and BUN_OPTIONS (Bun): net/tls connections and dns.lookup for destinations `[proxy]` routes to the cluster go through kfwd (fetch, http, pg, ioredis...). Your own NODE_OPTIONS/BUN_OPTIONS are kept after it.",
      }),
      jvm: boolean({
        default: true,
        example: false,
        description:
          'Add the proxies to JAVA_TOOL_OPTIONS (SOCKS for plain sockets, HTTP for HttpURLConnection and HttpClient; loopback direct). Your own JAVA_TOOL_OPTIONS are kept after it. The JVM prints "Picked up JAVA_TOOL_OPTIONS" on stderr.',
      }),
      transparent: boolean({
        default: false,
        example: true,
        description:
          'Linux: `kfwd run` runs the command in its own user, network and mount namespaces (made without privileges) where every TCP connection and DNS lookup goes through the agent — static binaries and hard-coded names included. Same as `kfwd run --transparent`. See README "Transparent mode".',
      }),
    },
  ),

  files: table(
    "The target container's files on this machine: its mounted volumes (and other paths) copied into a private directory, `KFWD_ROOT`, at the container's own paths (`$KFWD_ROOT/etc/config/app.yaml`), kept current while the session runs, and removed when it ends. Variables whose value is a path into a copied tree are rewritten to the copy (`kfwd env --explain`). Needs `[agent] placement = \"ephemeral\"` on a cluster: a separate agent pod cannot read another pod's volumes.",
    {
      mounts: stringList(
        {
          default: [],
          example: ["*"],
          description:
            "Which of the target container's volume mounts to copy, as globs of their mount paths (`*`: all). ConfigMap, Secret, projected (service-account token) and downward API volumes; emptyDir and PersistentVolumeClaim data is copied only through `paths`.",
        },
        (s) => (s.startsWith("/") || s === "*" ? undefined : 'a mount path glob like "/etc/config" or "*"'),
        "array of globs",
      ),
      paths: stringList(
        {
          default: [],
          example: ["/app/config", "/data/seed"],
          description:
            "More absolute paths inside the target container to copy (directories or files), emptyDir and PVC mounts included. With `[target] local = true`: paths on this machine, as the local agent sees them.",
        },
        (s) =>
          !s.startsWith("/")
            ? "an absolute path inside the container"
            : s.split("/").includes("..")
              ? 'a path without ".."'
              : undefined,
        "array of paths",
      ),
      exclude: stringList(
        {
          default: [],
          example: ["*.sock", "/app/config/cache"],
          description: "Globs of names (`*.sock`) or container paths (`/app/config/cache`) not to copy.",
        },
        () => undefined,
        "array of globs",
      ),
      dir: path({
        optional: true,
        defaultDoc: "a new 0700 directory in kfwd's state directory",
        example: "~/.cache/kfwd/files",
        description:
          "Where the copy goes (`KFWD_ROOT`). Created 0700 if missing; if it exists it must be yours. At the end kfwd removes only what it wrote there.",
      }),
      keep: boolean({
        default: false,
        example: true,
        description: "Keep the copy after the session ends (it stops being updated).",
      }),
    },
  ),

  forward: arrayOfTables(
    "Fixed local ports for clients that ignore proxies (databases, static binaries). One `[[forward]]` table per port.",
    {
      local: forwardLocal,
      remote: hostPort({
        required: true,
        example: "postgres.db:5432",
        description:
          "The destination, dialled by the agent: a cluster name (resolved by the pod's DNS) or IP, with a port.",
      }),
      name: string({ optional: true, example: "postgres", description: "A label for logs and status output." }),
    },
  ),
} as const;

export type ProfileSchema = typeof profileSchema;
/** The profile as the schema reads it, before the cross-key rules (rules.ts) shape `target`. */
export type RawProfile = SchemaValue<ProfileSchema>;
