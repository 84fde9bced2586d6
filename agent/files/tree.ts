/**
 * One look at the requested trees: every directory and regular file under each root, as the container sees
 * them (links inside the root followed, see resolve.ts), with a signature that changes when the content may
 * have: the kubelet's update swaps `..data` to a new directory, so the resolved inode changes too.
 */
import { lstatSync, readdirSync, type Stats } from "node:fs";
import { resolveWithin } from "./resolve";

export interface TreeEntry {
  kind: "file" | "dir";
  /** Where to read it in the agent's view (the prefix included). */
  source: string;
  mode: number;
  size: number;
  /** dev:ino:size:mtime — a change means "send it again". */
  sig: string;
}

export interface Tree {
  entries: Map<string, TreeEntry>;
  /** Paths left out, with why (links leaving the root, sockets, unreadable). */
  skipped: Map<string, string>;
}

/** Bounds the agent's memory whatever the pod holds. */
export const MAX_ENTRIES = 200_000;

const sig = (st: Stats): string => `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;

export function scanTrees(prefix: string, roots: readonly string[], exclude: readonly RegExp[]): Tree {
  const tree: Tree = { entries: new Map(), skipped: new Map() };
  for (const root of roots) scanRoot(prefix, root, exclude, tree);
  return tree;
}

function scanRoot(prefix: string, root: string, exclude: readonly RegExp[], tree: Tree): void {
  // The root itself may be reached through links anywhere in the container; below it, links stay inside it.
  const start = resolveWithin(prefix, "/", root);
  if (!start.ok) {
    tree.skipped.set(root, start.reason);
    return;
  }
  const visited = new Set<string>();
  const visit = (real: string, shown: string, confine: string): void => {
    if (tree.entries.size >= MAX_ENTRIES) {
      tree.skipped.set(shown, `more than ${MAX_ENTRIES} entries: the rest is not copied`);
      return;
    }
    let st: Stats;
    try {
      st = lstatSync(prefix + real);
    } catch (error) {
      tree.skipped.set(shown, `cannot read: ${(error as NodeJS.ErrnoException).code ?? error}`);
      return;
    }
    if (st.isFile()) {
      tree.entries.set(shown, {
        kind: "file",
        source: prefix + real,
        mode: st.mode & 0o7777,
        size: st.size,
        sig: sig(st),
      });
      return;
    }
    if (!st.isDirectory()) {
      tree.skipped.set(shown, "not a regular file or directory");
      return;
    }
    const id = `${st.dev}:${st.ino}`;
    if (visited.has(id)) {
      tree.skipped.set(shown, "a link back to a directory above it (a loop)");
      return;
    }
    visited.add(id);
    tree.entries.set(shown, { kind: "dir", source: prefix + real, mode: st.mode & 0o7777, size: 0, sig: "" });
    let names: string[];
    try {
      names = readdirSync(prefix + real);
    } catch (error) {
      tree.skipped.set(shown, `cannot list: ${(error as NodeJS.ErrnoException).code ?? error}`);
      return;
    }
    // The kubelet's atomic writer keeps its versions in "..data" and "..<timestamp>": the visible names
    // already lead there, so those are not copied a second time.
    const kubelet = names.includes("..data");
    for (const name of names.sort()) {
      if (kubelet && name.startsWith("..")) continue;
      const child = shown === "/" ? `/${name}` : `${shown}/${name}`;
      if (exclude.some((re) => re.test(name) || re.test(child))) continue;
      const next = resolveWithin(prefix, confine, `${real}/${name}`);
      if (!next.ok) tree.skipped.set(child, next.reason);
      else visit(next.path, child, confine);
    }
    visited.delete(id);
  };
  visit(start.path, root, start.path);
}
