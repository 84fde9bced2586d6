/** The server (or the proxy before it) answered something else than 101 — status and body — or nothing usable:
 *  the caller falls back to WebSocket. */
export class UpgradeRefused extends Error {
  constructor(
    readonly status: number | undefined,
    readonly body: string,
  ) {
    super(status === undefined ? body : `HTTP ${status}${body ? `: ${body}` : ""}`);
  }
}
