/**
 * An HTTP/1.1 upgrade to SPDY/3.1 on the API server (what kubectl does for port-forward without WebSockets):
 * one TLS (or plain TCP) connection, the request, the 101 answer; after it the socket carries SPDY frames.
 * The request's credentials and TLS settings are the client's own (client.ts streamConnection).
 */
import type { Socket } from "node:net";
import type { StreamConnection } from "../client";
import { type AnswerHead, AnswerHeadReader } from "./answer-head";
import { dialApiServer } from "./dial";
import { UpgradeRefused } from "./upgrade-refused";

export { UpgradeRefused };

export interface Upgraded {
  socket: Socket;
  /** Bytes that arrived with the 101 answer, after its head: the start of the SPDY stream. */
  rest: Uint8Array;
}

/** A refusal's body is read up to this much (a Kubernetes Status is far smaller). */
const MAX_BODY = 64 * 1024;

export async function upgradeToSpdy(
  conn: StreamConnection,
  path: string,
  protocol: string,
  timeoutMs: number,
): Promise<Upgraded> {
  const started = Date.now();
  const url = new URL(conn.base.replace(/^ws/, "http"));
  const secure = url.protocol === "https:";
  const port = Number(url.port) || (secure ? 443 : 80);
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const socket = await dialApiServer(conn, { host, port, secure }, timeoutMs);
  socket.setNoDelay(true);
  const left = Math.max(1, timeoutMs - (Date.now() - started));
  const head = [
    `POST ${url.pathname.replace(/\/$/, "")}${path} HTTP/1.1`,
    `Host: ${url.host}`,
    ...Object.entries({ ...conn.headers, "User-Agent": "kfwd" }).map(([k, v]) => `${k}: ${v}`),
    "Connection: Upgrade",
    "Upgrade: SPDY/3.1",
    `X-Stream-Protocol-Version: ${protocol}`,
    "Content-Length: 0",
    "",
    "",
  ].join("\r\n");
  return new Promise<Upgraded>((resolve, reject) => {
    const answer = new AnswerHeadReader("the API server's");
    const fail = (error: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    const timer = setTimeout(() => fail(new UpgradeRefused(undefined, `no answer within ${timeoutMs} ms`)), left);
    socket.write(head);
    socket.on("error", fail);
    socket.on("close", () => fail(new UpgradeRefused(undefined, "the connection closed before an answer")));
    const onData = (chunk: Buffer): void => {
      let got: AnswerHead | undefined;
      try {
        got = answer.push(chunk);
      } catch (e) {
        return fail(e as Error);
      }
      if (!got) return;
      const { lines, status, after } = got;
      if (status !== 101) {
        // Keep reading the (short) body for the Status it carries; the close ends the wait.
        const length = Number(/^content-length:\s*(\d+)/im.exec(lines.join("\n"))?.[1] ?? "0");
        if (after.byteLength < Math.min(length, MAX_BODY)) return;
        fail(new UpgradeRefused(status, after.toString("utf8").trim()));
        return;
      }
      const chosen = lines
        .find((l) => /^x-stream-protocol-version:/i.test(l))
        ?.split(":")[1]
        ?.trim();
      if (chosen !== protocol) {
        fail(new UpgradeRefused(101, `the server chose stream protocol "${chosen ?? ""}", not ${protocol}`));
        return;
      }
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("error", fail);
      socket.removeAllListeners("close");
      socket.pause();
      resolve({ socket, rest: after });
    };
    socket.on("data", onData);
  });
}
