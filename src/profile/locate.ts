/**
 * Finds where each key path sits in a profile's source. smol-toml gives positions only for syntax errors,
 * and a message that says "line 12" is worth far more than one that does not. This walks the TOML structure
 * (headers, arrays of tables, dotted keys, inline tables, arrays) just far enough to note the line and
 * column where every key path, table and array item starts. It runs only on text that already parsed, so it
 * need not diagnose anything.
 */
import type { KeyPath } from "./read";
import { formatPath } from "./toml-text";

export interface Position {
  readonly line: number;
  readonly column: number;
}

export type KeyIndex = ReadonlyMap<string, Position>;

/** The position of `path`, or of its longest prefix that was found (the table of a missing key, say). */
export function locate(index: KeyIndex, path: KeyPath): Position | undefined {
  for (let n = path.length; n > 0; n--) {
    const p = index.get(formatPath(path.slice(0, n)));
    if (p) return p;
  }
  return undefined;
}

export function indexKeys(text: string): KeyIndex {
  return new Scanner(text).run();
}

const BARE_KEY = /[A-Za-z0-9_-]/;

class Scanner {
  private i = 0;
  private line = 1;
  private lineStart = 0;
  private readonly found = new Map<string, Position>();
  /** Current index of each array of tables, by resolved path ("forward" → 2), for nested headers. */
  private readonly arrays = new Map<string, number>();

  constructor(private readonly s: string) {}

  run(): KeyIndex {
    let table: (string | number)[] = [];
    for (;;) {
      this.skipBlank(true);
      if (this.i >= this.s.length) return this.found;
      const at = this.pos();
      if (this.peek() === "[") {
        const isArray = this.peek(1) === "[";
        this.advance(isArray ? 2 : 1);
        table = this.resolve(this.key(), isArray);
        this.advance(isArray ? 2 : 1);
        for (let n = 1; n <= table.length; n++) this.note(table.slice(0, n), at);
      } else {
        this.keyValue(table);
      }
      this.skipBlank(false);
    }
  }

  private pos(): Position {
    return { line: this.line, column: this.i - this.lineStart + 1 };
  }

  private peek(offset = 0): string {
    return this.s[this.i + offset] ?? "";
  }

  private advance(n = 1): void {
    for (let k = 0; k < n && this.i < this.s.length; k++) {
      if (this.s[this.i] === "\n") {
        this.line++;
        this.lineStart = this.i + 1;
      }
      this.i++;
    }
  }

  private note(path: KeyPath, at: Position): void {
    const key = formatPath(path);
    if (!this.found.has(key)) this.found.set(key, at);
  }

  /** Skips spaces and comments, and newlines too when `newlines`. */
  private skipBlank(newlines: boolean): void {
    for (;;) {
      const c = this.peek();
      if (c === " " || c === "\t" || (newlines && (c === "\n" || c === "\r"))) this.advance();
      else if (c === "#") while (this.i < this.s.length && this.peek() !== "\n") this.advance();
      else return;
    }
  }

  /** Header segments → a path with array-of-tables indices: [[forward.x]] under [[forward]] → forward[1].x[0]. */
  private resolve(segments: string[], isArray: boolean): (string | number)[] {
    const out: (string | number)[] = [];
    segments.forEach((seg, k) => {
      out.push(seg);
      const key = formatPath(out);
      if (isArray && k === segments.length - 1) {
        const n = (this.arrays.get(key) ?? -1) + 1;
        this.arrays.set(key, n);
        out.push(n);
      } else {
        const n = this.arrays.get(key);
        if (n !== undefined) out.push(n);
      }
    });
    return out;
  }

  /** A possibly dotted, possibly quoted key. */
  private key(): string[] {
    const segments: string[] = [];
    for (;;) {
      this.skipBlank(false);
      const c = this.peek();
      if (c === '"' || c === "'") {
        const start = this.i;
        this.string();
        const raw = this.s.slice(start, this.i);
        segments.push(c === "'" ? raw.slice(1, -1) : decodeBasic(raw));
      } else {
        const start = this.i;
        while (BARE_KEY.test(this.peek())) this.advance();
        segments.push(this.s.slice(start, this.i));
      }
      this.skipBlank(false);
      if (this.peek() !== ".") return segments;
      this.advance();
    }
  }

  private keyValue(table: KeyPath): void {
    const at = this.pos();
    const key = this.key();
    for (let n = 1; n <= key.length; n++) this.note([...table, ...key.slice(0, n)], at);
    if (this.peek() === "=") this.advance();
    this.value([...table, ...key]);
  }

  private value(path: KeyPath): void {
    this.skipBlank(false);
    const c = this.peek();
    if (c === '"' || c === "'") return this.string();
    if (c === "[") return this.array(path);
    if (c === "{") return this.inlineTable(path);
    // Numbers, booleans, dates (which may contain one space): up to the next delimiter.
    while (this.i < this.s.length && !/[,\]}#\n\r]/.test(this.peek())) this.advance();
  }

  private array(path: KeyPath): void {
    this.advance();
    for (let n = 0; ; n++) {
      this.skipBlank(true);
      if (this.peek() === "]" || this.i >= this.s.length) return this.advance();
      this.note([...path, n], this.pos());
      this.value([...path, n]);
      this.skipBlank(true);
      if (this.peek() === ",") this.advance();
    }
  }

  private inlineTable(path: KeyPath): void {
    this.advance();
    for (;;) {
      this.skipBlank(true);
      if (this.peek() === "}" || this.i >= this.s.length) return this.advance();
      this.keyValue(path);
      this.skipBlank(true);
      if (this.peek() === ",") this.advance();
    }
  }

  /** Any of the four string forms; leaves `i` after the closing quote(s). */
  private string(): void {
    const q = this.peek();
    const triple = this.peek(1) === q && this.peek(2) === q;
    this.advance(triple ? 3 : 1);
    while (this.i < this.s.length) {
      const c = this.peek();
      if (c === "\\" && q === '"') this.advance(2);
      else if (c === q && (!triple || (this.peek(1) === q && this.peek(2) === q))) {
        this.advance(triple ? 3 : 1);
        // A multi-line string may end with up to two quotes of its own just before the delimiter.
        while (triple && this.peek() === q) this.advance();
        return;
      } else this.advance();
    }
  }
}

/** A quoted key's text; JSON's escapes are close enough to TOML's for locating. */
function decodeBasic(raw: string): string {
  try {
    return JSON.parse(raw) as string;
  } catch {
    return raw.slice(1, -1);
  }
}
