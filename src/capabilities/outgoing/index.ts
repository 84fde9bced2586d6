/**
 * Outgoing traffic: the host's programs reaching the cluster. A SOCKS5 and an HTTP proxy that route each
 * destination through the agent or direct ([proxy]), fixed ports for one cluster address each ([[forward]]),
 * and the proxy variables that point programs at them.
 */
import { formatHostPort } from "../../../wire/net";
import { proxyVariables } from "../../env/proxy-vars";
import type { Profile } from "../../profile/index";
import { type Dialer, directDialer } from "../../proxy/dialer";
import { startHttpProxy } from "../../proxy/http";
import { sessionCredentials } from "../../proxy/owner";
import { RouteTable, routingDialer } from "../../proxy/routes";
import type { ProxyServer } from "../../proxy/server";
import { startSocks5 } from "../../proxy/socks5";
import { debug } from "../../ui/log";
import type { Capability, CapabilityContext, CapabilityReport } from "../capability";
import { dialFailureReporter } from "./dial-failures";
import { type ForwardSpec, type RunningForward, startForward } from "./forwards";

export interface OutgoingSettings {
  socks: { host: string; port: number };
  http: { host: string; port: number };
  cluster: readonly string[];
  direct: readonly string[];
  auth?: { username: string; password: string } | undefined;
  forwards: readonly ForwardSpec[];
}

export function outgoingSettings(profile: Profile): OutgoingSettings {
  return {
    socks: profile.proxy.socks,
    http: profile.proxy.http,
    cluster: profile.proxy.cluster,
    direct: profile.proxy.direct,
    auth: profile.proxy.auth,
    forwards: profile.forward.map((f) => ({ name: f.name, listen: f.local, to: f.remote })),
  };
}

export function outgoing(settings: OutgoingSettings): Capability {
  // Where connections cannot be checked by owner, random per-session credentials guard the proxies instead.
  const auth = sessionCredentials(settings.auth);
  let socks: ProxyServer | undefined;
  let http: ProxyServer | undefined;
  const forwards: RunningForward[] = [];
  const stop = async (): Promise<void> => {
    for (const forward of forwards.splice(0).reverse()) await forward.close();
    await http?.close();
    await socks?.close();
    http = socks = undefined;
  };
  return {
    name: "outgoing",
    async start({ tunnel, ui }: CapabilityContext) {
      try {
        const routes = new RouteTable({ cluster: [...settings.cluster], direct: [...settings.direct] });
        const dial: Dialer = routingDialer(routes, {
          cluster: (dest, options) => tunnel.dial(dest, undefined, options),
          direct: directDialer(),
        });
        const credentials = auth ? { auth } : {};
        socks = await startSocks5({ ...settings.socks, dial, log: debug("socks"), ...credentials });
        http = await startHttpProxy({ ...settings.http, dial, log: debug("http"), ...credentials });
        ui.step(`Proxies: SOCKS5 ${socks.host}:${socks.port}, HTTP ${http.host}:${http.port}`);
        const reportFailure = dialFailureReporter((m) => ui.warn(m));
        for (const spec of settings.forwards) {
          const forward = await startForward(spec, tunnel, debug("forward"), reportFailure);
          forwards.push(forward);
          ui.step(`Forward ${forward.spec.listen.host}:${forward.port} → ${spec.to.host}:${spec.to.port}`);
        }
      } catch (error) {
        await stop();
        throw error;
      }
    },
    envStages: [
      {
        phase: "proxy",
        apply(draft) {
          if (!socks || !http) return;
          const vars = proxyVariables({ socks, http, direct: settings.direct, auth });
          for (const [name, value] of Object.entries(vars)) draft.add(name, value);
        },
      },
    ],
    loopbackPorts: () => [...(socks ? [socks.port] : []), ...(http ? [http.port] : []), ...forwards.map((f) => f.port)],
    describe(): CapabilityReport {
      const listed = forwards.map((f) => ({
        ...(f.spec.name !== undefined ? { name: f.spec.name } : {}),
        listen: formatHostPort({ host: f.spec.listen.host, port: f.port }),
        to: formatHostPort({ host: f.spec.to.host, port: f.spec.to.port }),
      }));
      const data = {
        socks: socks ? formatHostPort({ host: socks.host, port: socks.port }) : "",
        http: http ? formatHostPort({ host: http.host, port: http.port }) : "",
        forwards: listed,
      };
      return { lines: outgoingLines(data), data };
    },
    stop,
  };
}

/** The lines `kfwd up` and `kfwd status` print for outgoing traffic. */
export function outgoingLines(data: {
  socks: string;
  http: string;
  forwards: ReadonlyArray<{ name?: string; listen: string; to: string }>;
}): string[] {
  return [
    `socks5    ${data.socks}`,
    `http      ${data.http}`,
    ...data.forwards.map((f) => `forward   ${f.listen} → ${f.to}${f.name ? ` (${f.name})` : ""}`),
  ];
}
