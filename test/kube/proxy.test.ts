/** Which proxy reaches the API server (src/kube/proxy.ts): the kubeconfig's proxy-url, else HTTP(S)_PROXY unless
 *  NO_PROXY names the server — one answer for REST, exec and the port-forward link. */
import { describe, expect, test } from "bun:test";
import { apiServerProxy, shownProxy } from "../../src/kube/proxy";

const SERVER = "https://api.corp.example:6443";

describe("apiServerProxy", () => {
  test("proxy-url wins over the environment; without either, none", () => {
    expect(apiServerProxy(SERVER, "http://pk:3128", { HTTPS_PROXY: "http://env:8080" })).toEqual({
      url: "http://pk:3128",
      source: "proxy-url",
    });
    expect(apiServerProxy(SERVER, undefined, {})).toBeUndefined();
  });

  test("HTTPS_PROXY for an https server (uppercase first), HTTP_PROXY for http; a bare host:port is http://", () => {
    expect(apiServerProxy(SERVER, undefined, { https_proxy: "http://lower:1", HTTPS_PROXY: "http://upper:1" })).toEqual(
      { url: "http://upper:1", source: "HTTPS_PROXY" },
    );
    expect(apiServerProxy(SERVER, undefined, { https_proxy: "proxy.corp:3128" })).toEqual({
      url: "http://proxy.corp:3128",
      source: "https_proxy",
    });
    expect(apiServerProxy(SERVER, undefined, { HTTP_PROXY: "http://p:1" })).toBeUndefined();
    expect(apiServerProxy("http://10.0.0.1:8080", undefined, { HTTP_PROXY: "http://p:1" })?.source).toBe("HTTP_PROXY");
  });

  test("NO_PROXY: domains with their subdomains, leading dots for subdomains only, IPs, CIDRs, ports, *", () => {
    const via = (server: string, noProxy: string): boolean =>
      apiServerProxy(server, undefined, { HTTPS_PROXY: "http://p:1", NO_PROXY: noProxy }) !== undefined;
    expect(via(SERVER, "corp.example")).toBe(false);
    expect(via("https://corp.example:6443", "corp.example")).toBe(false);
    expect(via("https://corp.example:6443", ".corp.example")).toBe(true);
    expect(via(SERVER, "*.corp.example")).toBe(false);
    expect(via(SERVER, "other.example, notcorp.example")).toBe(true);
    expect(via("https://10.211.0.2:6443", "10.211.0.0/16")).toBe(false);
    expect(via("https://10.212.0.2:6443", "10.211.0.0/16")).toBe(true);
    expect(via("https://10.211.0.2:6443", "10.211.0.2")).toBe(false);
    expect(via("https://[fd00::1]:6443", "fd00::/8")).toBe(false);
    expect(via(SERVER, "api.corp.example:443")).toBe(true);
    expect(via(SERVER, "api.corp.example:6443")).toBe(false);
    expect(via(SERVER, "*")).toBe(false);
    expect(apiServerProxy(SERVER, undefined, { HTTPS_PROXY: "http://p:1", no_proxy: "corp.example" })).toBeUndefined();
  });

  test("a loopback server is proxied unless NO_PROXY names it, as Bun's fetch does", () => {
    expect(apiServerProxy("https://127.0.0.1:6443", undefined, { HTTPS_PROXY: "http://p:1" })?.url).toBe("http://p:1");
    expect(
      apiServerProxy("https://127.0.0.1:6443", undefined, { HTTPS_PROXY: "http://p:1", NO_PROXY: "127.0.0.1" }),
    ).toBeUndefined();
  });

  test("messages show the proxy without its password", () => {
    expect(shownProxy("http://dev:s3cret@proxy.corp:3128")).toBe("http://dev:***@proxy.corp:3128");
    expect(shownProxy("http://proxy.corp:3128/")).toBe("http://proxy.corp:3128");
  });
});
