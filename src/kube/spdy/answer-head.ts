/** Bytes of an HTTP/1.1 answer (a proxy's to CONNECT, the API server's to the upgrade) gathered until its head is
 *  complete, with the status and whatever came after the head so far. */
import { UpgradeRefused } from "./upgrade-refused";

const MAX_HEAD = 64 * 1024;

export interface AnswerHead {
  lines: string[];
  /** From the status line; undefined when it is not one. */
  status: number | undefined;
  /** Every byte received past the head, so far. */
  after: Buffer;
}

export class AnswerHeadReader {
  #received = Buffer.alloc(0);

  /** @param from who answers, for the error past 64 KiB ("the proxy's", "the API server's") */
  constructor(private readonly from: string) {}

  /** The head once complete (again on each later chunk, `after` grown); undefined before. Throws an
   *  UpgradeRefused when the head passes 64 KiB. */
  push(chunk: Buffer): AnswerHead | undefined {
    this.#received = Buffer.concat([this.#received, chunk]);
    const end = this.#received.indexOf("\r\n\r\n");
    if (end < 0) {
      if (this.#received.byteLength > MAX_HEAD)
        throw new UpgradeRefused(undefined, `${this.from} answer head is over 64 KiB`);
      return undefined;
    }
    const lines = this.#received.subarray(0, end).toString("latin1").split("\r\n");
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? "")?.[1]);
    return { lines, status: Number.isFinite(status) ? status : undefined, after: this.#received.subarray(end + 4) };
  }
}
