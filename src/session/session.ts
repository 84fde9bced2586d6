import { selectEnv, type EnvSelection } from "../env/select";
import { proxyVariables } from "../env/proxy-vars";
import { directDialer, type Dialer } from "../proxy/dialer";
import { sessionCredentials } from "../proxy/owner";
import { RouteTable, routingDialer } from "../proxy/routes";
import { startHttpProxy } from "../proxy/http";
import { startSocks5 } from "../proxy/socks5";
import type { ProxyServer } from "../proxy/server";
import type { AgentLauncher } from "../launch/types";
import type { Ui } from "../ui/log";
import { debug } from "../ui/log";
import { markLive } from "./live";
import { startForward, type ForwardSpec, type RunningForward } from "./forwards";
import { Tunnel } from "./tunnel";

export interface HostPort {
  host: string;
  port: number;
}

/** What a session needs, already validated: the command layer derives it from the profile. */
export interface SessionConfig {
  launcher: AgentLauncher;
  proxy: {
    socks: HostPort;
    http: HostPort;
    cluster: readonly string[];
    direct: readonly string[];
    auth?: { username: string; password: string } | undefined;
  };
  forwards: readonly ForwardSpec[];
  env: EnvSelection;
}

export interface Session {
  readonly tunnel: Tunnel;
  readonly socks: ProxyServer;
  readonly http: ProxyServer;
  readonly forwards: readonly RunningForward[];
  /** The pod's selected variables plus the proxy variables: what a command started in the session gets. */
  readonly env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * Agent, tunnel, proxies and forwards, started in that order and stopped in reverse. If any step fails,
 * what was already started is stopped before the error is thrown, so nothing is left behind.
 */
export async function startSession(config: SessionConfig, ui: Ui): Promise<Session> {
  const log = debug("tunnel");
  const tunnel = new Tunnel(config.launcher, { progress: (s) => ui.step(s), warn: (m) => ui.warn(m), log });
  // Stopped in reverse: the tunnel is closed before the launcher removes the agent, so that is no "loss".
  const cleanups: Array<() => Promise<void>> = [() => config.launcher.dispose(), () => tunnel.close()];
  const stop = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse())
      await cleanup().catch((e: unknown) => ui.warn(`cleanup: ${String(e)}`));
  };
  const clusterSessionId = config.launcher.clusterSessionId;
  if (clusterSessionId !== undefined) {
    const unmark = markLive(clusterSessionId);
    cleanups.unshift(async () => unmark());
  }
  try {
    const hello = await tunnel.start();
    ui.step(`Agent ready: ${tunnel.description} (protocol v${hello.version})`);

    const routes = new RouteTable({ cluster: [...config.proxy.cluster], direct: [...config.proxy.direct] });
    const dial: Dialer = routingDialer(routes, { cluster: (dest) => tunnel.dial(dest), direct: directDialer() });
    const auth = sessionCredentials(config.proxy.auth);
    const socks = await startSocks5({ ...config.proxy.socks, dial, log: debug("socks"), ...(auth ? { auth } : {}) });
    cleanups.push(() => socks.close());
    const http = await startHttpProxy({ ...config.proxy.http, dial, log: debug("http"), ...(auth ? { auth } : {}) });
    cleanups.push(() => http.close());
    ui.step(`Proxies: SOCKS5 ${socks.host}:${socks.port}, HTTP ${http.host}:${http.port}`);

    const forwards: RunningForward[] = [];
    for (const spec of config.forwards) {
      const forward = await startForward(spec, tunnel, debug("forward"));
      cleanups.push(() => forward.close());
      forwards.push(forward);
      ui.step(`Forward ${forward.spec.listen.host}:${forward.port} → ${spec.to.host}:${spec.to.port}`);
    }

    const podEnv = await tunnel.call("env", {});
    const env = {
      ...selectEnv(podEnv.env, config.env),
      ...proxyVariables({ socks, http, direct: config.proxy.direct, auth }),
    };
    return { tunnel, socks, http, forwards, env, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
