/**
 * The one line splitter: a byte stream in, UTF-8 lines out (without "\n" or "\r\n"). Memory stays bounded by
 * `maxLine`: a longer line is cut into pieces of that size (logs), or is an error (`overflow: "error"`, for
 * lines that mean nothing in pieces, like a watch event's JSON).
 */
export const MAX_LINE = 64 * 1024;

export interface LineSplitterOptions {
  /** Characters a line may hold. Default MAX_LINE (64 KiB). */
  maxLine?: number;
  overflow?: "cut" | "error";
}

export class LineSplitter {
  readonly #decoder = new TextDecoder();
  readonly #maxLine: number;
  readonly #overflow: "cut" | "error";
  #rest = "";

  constructor(options: LineSplitterOptions = {}) {
    this.#maxLine = options.maxLine ?? MAX_LINE;
    this.#overflow = options.overflow ?? "cut";
  }

  push(bytes: Uint8Array): string[] {
    this.#rest += this.#decoder.decode(bytes, { stream: true });
    const lines = this.#rest.split("\n");
    this.#rest = lines.pop() ?? "";
    if (this.#overflow === "error" && [this.#rest, ...lines].some((l) => l.length > this.#maxLine)) {
      this.#rest = "";
      throw new Error(`a line is longer than ${this.#maxLine} characters`);
    }
    while (this.#rest.length > this.#maxLine) {
      lines.push(this.#rest.slice(0, this.#maxLine));
      this.#rest = this.#rest.slice(this.#maxLine);
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
