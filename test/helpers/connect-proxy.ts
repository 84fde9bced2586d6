/**
 * A small HTTP CONNECT proxy on loopback, standing in for a corporate proxy in front of the API server: it records
 * each CONNECT's head, may demand Basic credentials (407 otherwise), and pipes bytes both ways.
 */
import { type AddressInfo, connect, createServer, type Server, type Socket } from "node:net";

export interface ConnectProxy {
  url: string;
  /** The request heads of the CONNECTs it was asked, in order. */
  heads: string[];
  close(): void;
}

export async function startConnectProxy(options: { credentials?: string } = {}): Promise<ConnectProxy> {
  const heads: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on("error", () => {});
    client.once("close", () => sockets.delete(client));
    let got = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      got = Buffer.concat([got, chunk]);
      const end = got.indexOf("\r\n\r\n");
      if (end < 0) return;
      client.off("data", onData);
      const head = got.subarray(0, end).toString("latin1");
      heads.push(head);
      const target = /^CONNECT (\S+) HTTP\/1\.1/.exec(head)?.[1];
      const wanted = options.credentials && `Basic ${Buffer.from(options.credentials).toString("base64")}`;
      if (!target) return void client.end("HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n");
      if (wanted && !head.includes(`\r\nProxy-Authorization: ${wanted}`))
        return void client.end("HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n");
      const at = target.lastIndexOf(":");
      const upstream = connect({
        host: target.slice(0, at).replace(/^\[(.*)\]$/, "$1"),
        port: Number(target.slice(at + 1)),
      });
      sockets.add(upstream);
      upstream.once("close", () => sockets.delete(upstream));
      upstream.on("error", () => client.destroy());
      client.on("error", () => upstream.destroy());
      upstream.once("connect", () => {
        client.write("HTTP/1.1 200 Connection established\r\n\r\n");
        const rest = got.subarray(end + 4);
        if (rest.length > 0) upstream.write(rest);
        client.pipe(upstream);
        upstream.pipe(client);
      });
    };
    client.on("data", onData);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    heads,
    close: () => {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}
