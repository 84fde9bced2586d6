/**
 * Finds where each key path sits in a profile's source. smol-toml gives positions only for syntax errors,
 * and a message that says "line 12" is worth far more than one that does not. This walks the TOML structure
 * (headers, arrays of tables, dotted keys, inline tables, arrays) just far enough to note the line and
 * column where every key path, table and array item starts. It runs only on text that already parsed, so it
 * need not diagnose anything.
 */
import type { KeyPath } from "./read";

export interface Position {
  readonly line: number;
  readonly column: number;
}

/**
 * Where each key path starts, as a tree of path segments: a long dotted key costs one node per segment, where
 * a map of formatted paths would hold every prefix as its own string (quadratic in the number of segments).
 */
class KeyNode {
  at: Position | undefined;
  /** The current index of an array of tables at this path ("forward" → 2), for nested headers. */
  arrayIndex: number | undefined;
  private readonly children = new Map<string | number, KeyNode>();

  child(segment: string | number): KeyNode | undefined {
    return this.children.get(segment);
  }

  /** The child for `segment`, made if missing; `at` becomes its position unless it already has one. */
  enter(segment: string | number, at: Position): KeyNode {
    let node = this.children.get(segment);
    if (!node) {
      node = new KeyNode();
      this.children.set(segment, node);
    }
    node.at ??= at;
    return node;
  }
}

export type KeyIndex = { readonly root: KeyNode };

/** The position of `path`, or of its longest prefix that was found (the table of a missing key, say). */
export function locate(index: KeyIndex, path: KeyPath): Position | undefined {
  let node: KeyNode | undefined = index.root;
  let found: Position | undefined;
  for (const segment of path) {
    node = node.child(segment);
    if (!node) break;
    found = node.at ?? found;
  }
  return found;
}

export function indexKeys(text: string): KeyIndex {
  return { root: new Scanner(text).run() };
}

const BARE_KEY = /[A-Za-z0-9_-]/;

class Scanner {
  private i = 0;
  private line = 1;
  private lineStart = 0;
  private readonly root = new KeyNode();

  constructor(private readonly s: string) {}

  run(): KeyNode {
    let table = this.root;
    for (;;) {
      this.skipBlank(true);
      if (this.i >= this.s.length) return this.root;
      const at = this.pos();
      if (this.peek() === "[") {
        const isArray = this.peek(1) === "[";
        this.advance(isArray ? 2 : 1);
        table = this.header(this.key(), isArray, at);
        this.advance(isArray ? 2 : 1);
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

  /** Skips spaces and comments, and newlines too when `newlines`. */
  private skipBlank(newlines: boolean): void {
    for (;;) {
      const c = this.peek();
      if (c === " " || c === "\t" || (newlines && (c === "\n" || c === "\r"))) this.advance();
      else if (c === "#") while (this.i < this.s.length && this.peek() !== "\n") this.advance();
      else return;
    }
  }

  /** A header's table: [[forward.x]] under the second [[forward]] is forward[1].x[0]. */
  private header(segments: readonly string[], isArray: boolean, at: Position): KeyNode {
    let node = this.root;
    segments.forEach((seg, k) => {
      node = node.enter(seg, at);
      if (isArray && k === segments.length - 1) node.arrayIndex = (node.arrayIndex ?? -1) + 1;
      if (node.arrayIndex !== undefined) node = node.enter(node.arrayIndex, at);
    });
    return node;
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

  private keyValue(table: KeyNode): void {
    const at = this.pos();
    let node = table;
    for (const segment of this.key()) node = node.enter(segment, at);
    if (this.peek() === "=") this.advance();
    this.value(node);
  }

  private value(node: KeyNode): void {
    this.skipBlank(false);
    const c = this.peek();
    if (c === '"' || c === "'") return this.string();
    if (c === "[") return this.array(node);
    if (c === "{") return this.inlineTable(node);
    // Numbers, booleans, dates (which may contain one space): up to the next delimiter.
    while (this.i < this.s.length && !/[,\]}#\n\r]/.test(this.peek())) this.advance();
  }

  private array(node: KeyNode): void {
    this.advance();
    for (let n = 0; ; n++) {
      this.skipBlank(true);
      if (this.peek() === "]" || this.i >= this.s.length) return this.advance();
      this.value(node.enter(n, this.pos()));
      this.skipBlank(true);
      if (this.peek() === ",") this.advance();
    }
  }

  private inlineTable(node: KeyNode): void {
    this.advance();
    for (;;) {
      this.skipBlank(true);
      if (this.peek() === "}" || this.i >= this.s.length) return this.advance();
      this.keyValue(node);
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
