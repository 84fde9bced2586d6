/** Splits a byte stream into UTF-8 lines (for the agent's stderr log). Long lines are cut at 64 KiB. */
const MAX_LINE = 64 * 1024;

export class LineSplitter {
  readonly #decoder = new TextDecoder();
  #rest = "";

  push(bytes: Uint8Array): string[] {
    this.#rest += this.#decoder.decode(bytes, { stream: true });
    const lines = this.#rest.split("\n");
    this.#rest = lines.pop() ?? "";
    while (this.#rest.length > MAX_LINE) {
      lines.push(this.#rest.slice(0, MAX_LINE));
      this.#rest = this.#rest.slice(MAX_LINE);
    }
    return lines.map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
  }

  /** The unterminated last line, if any. */
  flush(): string | undefined {
    const rest = this.#rest + this.#decoder.decode();
    this.#rest = "";
    return rest === "" ? undefined : rest;
  }
}
