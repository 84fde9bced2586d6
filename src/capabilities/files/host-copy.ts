/**
 * The host copy (KFWD_ROOT), written from what the agent sends — and every path and byte the agent sends is
 * treated as hostile: a pod may hold anything, and the agent may not be ours. So:
 * - a path must be absolute, made of plain names (no "", ".", ".." or NUL), and lie inside a requested root;
 * - directories on the way are checked with lstat and never followed if they are links (kfwd never creates a
 *   link, so one found there is replaced, not followed);
 * - a file is written to a fresh temporary name in its directory (O_CREAT|O_EXCL|O_NOFOLLOW) and renamed over
 *   the old one, so readers see the old or the new content, never half, and nothing is written through a link;
 * - modes keep only the owner's bits: files 0600 (0700 if executable), directories 0700.
 */
import { randomBytes } from "node:crypto";
import { constants, lstatSync, mkdirSync, rmdirSync, rmSync } from "node:fs";
import { type FileHandle, open, rename, rm } from "node:fs/promises";
import { join } from "node:path";

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = constants;

export class HostPathError extends Error {}

export class HostCopy {
  /** Every path written, as the container names it (for removal and resync). */
  readonly written = new Set<string>();

  constructor(
    readonly root: string,
    private readonly roots: readonly string[],
  ) {}

  /** "/etc/config/app.yaml" → the names to join under the root; throws HostPathError for anything else. */
  names(containerPath: string): string[] {
    if (typeof containerPath !== "string" || !containerPath.startsWith("/") || containerPath.includes("\0"))
      throw new HostPathError(`not an absolute path: ${JSON.stringify(containerPath)}`);
    const names = containerPath.split("/").slice(1);
    if (names.some((n) => n === "" || n === "." || n === ".."))
      throw new HostPathError(`not a plain path: ${JSON.stringify(containerPath)}`);
    const inside = this.roots.some((r) => containerPath === r || containerPath.startsWith(r === "/" ? "/" : `${r}/`));
    if (!inside) throw new HostPathError(`outside the requested paths: ${JSON.stringify(containerPath)}`);
    return names;
  }

  hostPath(containerPath: string): string {
    return join(this.root, ...this.names(containerPath));
  }

  /** Directories from the root down to `names` (all of them), created 0700, links and files in the way removed. */
  private ensureDirs(names: readonly string[]): string {
    let dir = this.root;
    for (const name of names) {
      dir = join(dir, name);
      let st: ReturnType<typeof lstatSync> | undefined;
      try {
        st = lstatSync(dir);
      } catch {
        st = undefined;
      }
      if (st && !st.isDirectory()) {
        rmSync(dir, { force: true }); // a file, or a link: never followed
        st = undefined;
      }
      if (!st) mkdirSync(dir, { mode: 0o700 });
    }
    return dir;
  }

  dir(containerPath: string): void {
    this.ensureDirs(this.names(containerPath));
    this.written.add(containerPath);
  }

  /** Starts a file; its content goes to the returned writer, which puts it in place on `commit`. */
  async file(containerPath: string, mode: number): Promise<FileWriter> {
    const names = this.names(containerPath);
    const parent = this.ensureDirs(names.slice(0, -1));
    const final = join(parent, names[names.length - 1] as string);
    const temp = join(parent, `.kfwd-${randomBytes(6).toString("hex")}.part`);
    const fileMode = mode & 0o100 ? 0o700 : 0o600;
    const handle = await open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, fileMode);
    return new FileWriter(handle, temp, final, fileMode, () => this.written.add(containerPath));
  }

  /** Removes a path (and what is below it); a link on the way means it is not ours to follow: left alone. */
  async remove(containerPath: string): Promise<void> {
    const names = this.names(containerPath);
    let dir = this.root;
    for (const name of names.slice(0, -1)) {
      dir = join(dir, name);
      try {
        if (!lstatSync(dir).isDirectory()) return;
      } catch {
        return;
      }
    }
    await rm(join(dir, names[names.length - 1] as string), { recursive: true, force: true });
    for (const p of this.written) if (p === containerPath || p.startsWith(`${containerPath}/`)) this.written.delete(p);
  }

  /**
   * Undo the copy. `whole`: the root is kfwd's own directory, removed entirely. Otherwise (a `dir` the user
   * named) only what kfwd wrote goes, then directories it left empty.
   */
  removeAll(whole: boolean): void {
    if (whole) {
      rmSync(this.root, { recursive: true, force: true });
      return;
    }
    const paths = [...this.written].sort((a, b) => b.length - a.length);
    for (const p of paths) {
      try {
        const host = this.hostPath(p);
        const st = lstatSync(host);
        if (st.isDirectory()) rmdirSync(host);
        else rmSync(host, { force: true });
      } catch {
        // not empty (someone else's files), or already gone
      }
    }
    this.written.clear();
  }
}

/** One file being received: content gathered into large writes, then renamed into place. */
export class FileWriter {
  private parts: Buffer[] = [];
  private size = 0;

  constructor(
    private readonly handle: FileHandle,
    private readonly temp: string,
    private readonly final: string,
    private readonly mode: number,
    private readonly onCommit: () => void,
  ) {}

  async write(chunk: Buffer): Promise<void> {
    if (chunk.length === 0) return;
    this.parts.push(Buffer.from(chunk)); // kept until the next large write: a copy, not a view of a read buffer
    this.size += chunk.length;
    if (this.size >= 1024 * 1024) await this.spill();
  }

  private async spill(): Promise<void> {
    const parts = this.parts;
    this.parts = [];
    this.size = 0;
    if (parts.length > 0) await this.handle.writev(parts);
  }

  async commit(): Promise<void> {
    await this.spill();
    await this.handle.chmod(this.mode);
    await this.handle.close();
    const st = (() => {
      try {
        return lstatSync(this.final);
      } catch {
        return undefined;
      }
    })();
    if (st?.isDirectory()) await rm(this.final, { recursive: true, force: true });
    await rename(this.temp, this.final);
    this.onCommit();
  }

  async abort(): Promise<void> {
    await this.handle.close().catch(() => {});
    await rm(this.temp, { force: true });
  }
}
