/** A minimal SOCKS5 CONNECT client (no auth, domain-name address) for tests that drive the proxy directly. */
import { connect, type Socket } from "node:net";

export function socksConnect(proxy: string, host: string, port: number): Promise<Socket> {
  const [proxyHost, proxyPort] = splitHostPort(proxy);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: proxyHost, port: proxyPort, noDelay: true });
    let stage = 0;
    let buffered = Buffer.alloc(0);
    socket.once("error", reject);
    socket.once("connect", () => socket.write(Buffer.from([5, 1, 0])));
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      if (stage === 0 && buffered.length >= 2) {
        if (buffered[1] !== 0) return fail(`method rejected: ${buffered[1]}`);
        buffered = buffered.subarray(2);
        stage = 1;
        const name = Buffer.from(host);
        socket.write(
          Buffer.concat([Buffer.from([5, 1, 0, 3, name.length]), name, Buffer.from([port >> 8, port & 0xff])]),
        );
      }
      if (stage === 1 && buffered.length >= 10) {
        if (buffered[1] !== 0) return fail(`CONNECT failed: reply ${buffered[1]}`);
        const rest = buffered.subarray(10);
        socket.off("data", onData);
        socket.off("error", reject);
        if (rest.length) socket.unshift(rest);
        resolve(socket);
      }
    };
    const fail = (why: string): void => {
      socket.destroy();
      reject(new Error(why));
    };
    socket.on("data", onData);
  });
}

export function splitHostPort(value: string): [string, number] {
  const at = value.lastIndexOf(":");
  return [value.slice(0, at).replace(/^\[|\]$/g, ""), Number(value.slice(at + 1))];
}
