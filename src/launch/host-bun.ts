/**
 * The Bun that runs a local agent. A compiled kfwd binary is Bun itself: with BUN_BE_BUN=1 it acts as the
 * `bun` CLI, so the local target needs nothing installed. From source, the running bun is used.
 */
export function hostBun(): { path: string; env: Record<string, string> } {
  const compiled = Bun.main.startsWith("/$bunfs/") || Bun.main.startsWith("B:/~BUN/");
  return { path: process.execPath, env: compiled ? { BUN_BE_BUN: "1" } : {} };
}
