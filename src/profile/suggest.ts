/** "Did you mean...?" for misspelt keys, values, flags and names. */

/** Longer words get no suggestion: nothing kfwd knows is this long, and the search stays cheap for any input. */
const MAX_WORD = 64;

/**
 * Optimal string alignment distance (Damerau-Levenshtein without repeated edits of one substring):
 * insertions, deletions, substitutions and swaps of neighbours each cost 1, so "namspace" and "nmaespace"
 * are both one or two edits from "namespace". Keeps three rows, not the whole table: memory is O(|b|).
 */
export function editDistance(a: string, b: string): number {
  const cols = b.length + 1;
  let before = new Array<number>(cols).fill(0); // row i-2
  let prev = Array.from({ length: cols }, (_, j) => j); // row i-1
  let row = new Array<number>(cols).fill(0);
  for (let i = 1; i <= a.length; i++) {
    row[0] = i;
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, (before[j - 2] ?? 0) + 1);
      row[j] = best;
    }
    [before, prev, row] = [prev, row, before];
  }
  return prev[b.length] ?? 0;
}

/**
 * The known word closest to `word`, if it is close enough to be a plausible typo: at most a third of the
 * word's length in edits (min 1), compared case-insensitively and with '-' read as '_' ("idle-timeout").
 * Words whose lengths differ by more than that are never compared (the distance is at least the difference),
 * so the cost is bounded by MAX_WORD² per known word, whatever the input.
 */
export function nearest(word: string, known: readonly string[]): string | undefined {
  if (word.length > MAX_WORD) return undefined;
  const norm = (s: string) => s.toLowerCase().replaceAll("-", "_");
  const w = norm(word);
  const limit = Math.max(1, Math.floor(w.length / 3));
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const k of known) {
    if (Math.abs(k.length - w.length) > limit || k.length > MAX_WORD) continue;
    const dist = editDistance(w, norm(k));
    if (dist < bestDistance) {
      best = k;
      bestDistance = dist;
    }
  }
  return bestDistance <= limit ? best : undefined;
}
