/** The agent's log goes to stderr (stdout carries the protocol), one line per message, prefixed. */
export function log(message: string): void {
  process.stderr.write(`kfwd-agent: ${message}\n`);
}
