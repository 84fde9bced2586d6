/**
 * The loopback HTTP endpoint the language hooks ask (./preload/kfwd-preload.cjs):
 *   GET /v1/connect?host=&port=   → {"direct":true} or {"port":N}: a shared listener leading to host:port
 *   GET /v1/resolve?name=&family= → {"direct":true}, {"addresses":[{address,family}]} or {"error":"..."}
 * Routing is the proxies' ([proxy] cluster/direct, loopback direct). Each request carries the session's token
 * (Authorization: Bearer), which only the 0600 file beside the preload holds.
 */
import { timingSafeEqual } from "node:crypto";
import { KfwdError } from "../../errors";
import type { RouteTable } from "../../proxy/routes";
import type { Tunnel } from "../../session/tunnel";
import type { ListenerPool } from "./listeners";

export interface HookEndpoint {
  readonly port: number;
  stop(): Promise<void>;
}

export function startHookEndpoint(options: {
  token: string;
  routes: RouteTable;
  tunnel: Tunnel;
  listeners: ListenerPool;
  log: (message: string) => void;
}): HookEndpoint {
  const { routes, tunnel, listeners, log } = options;
  const expected = Buffer.from(`Bearer ${options.token}`);
  const authorized = (req: Request): boolean => {
    const given = Buffer.from(req.headers.get("authorization") ?? "");
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    async fetch(req) {
      if (!authorized(req)) return Response.json({ error: "unauthorized" }, { status: 401 });
      const url = new URL(req.url);
      if (url.pathname === "/v1/connect") {
        const host = url.searchParams.get("host") ?? "";
        const port = Number(url.searchParams.get("port"));
        if (host === "" || !Number.isInteger(port) || port < 1 || port > 65535)
          return Response.json({ error: "bad host or port" }, { status: 400 });
        if (routes.decide(host) === "direct") return Response.json({ direct: true });
        const local = await listeners.portFor({ host, port }, "a Node/Bun connection");
        log(`hook: ${host}:${port} → 127.0.0.1:${local}`);
        return Response.json({ port: local });
      }
      if (url.pathname === "/v1/resolve") {
        const name = url.searchParams.get("name") ?? "";
        const family = Number(url.searchParams.get("family") ?? 0);
        if (name === "") return Response.json({ error: "no name" }, { status: 400 });
        if (routes.decide(name) === "direct") return Response.json({ direct: true });
        try {
          const { addresses } = await tunnel.call("resolve", {
            name,
            family: family === 4 || family === 6 ? family : 0,
          });
          log(`hook: resolved ${name} → ${addresses.map((a) => a.address).join(", ")}`);
          return Response.json({ addresses });
        } catch (error) {
          return Response.json({ error: error instanceof Error ? error.message : String(error) });
        }
      }
      return Response.json({ error: "not found" }, { status: 404 });
    },
  });
  const port = server.port;
  if (port === undefined)
    throw new KfwdError("KFWD_REACH_ENDPOINT", "Cannot start the endpoint for the Node/Bun preload on loopback");
  return { port, stop: () => server.stop(true) };
}
