import { verifyConsistency } from './consistency.ts';
import type { LogTree } from './log-tree.ts';

/**
 * When the fetched entries do not hash to the signed root, finds the first entry that is not the one
 * the signed tree holds. A consistency proof from size m to the signed size verifies against the
 * root of our first m entries exactly when those m entries are the signed tree's first m (RFC 9162
 * §2.1.4), and once one entry differs every longer prefix differs, so a binary search over m takes
 * O(log n) proofs. Returns undefined when the server's proofs cannot be had.
 */
export async function firstEntryNotInSignedTree(input: {
  tree: LogTree;
  signedRoot: Uint8Array;
  /** the consistency proof from `fromSize` to the tree's size, as served */
  consistencyProof: (fromSize: number) => Promise<Uint8Array[]>;
}): Promise<number | undefined> {
  const { tree, signedRoot } = input;
  const toSize = tree.size;
  const prefixMatches = async (fromSize: number) =>
    verifyConsistency({
      fromSize,
      toSize,
      fromRoot: await tree.rootAt(fromSize),
      toRoot: signedRoot,
      proof: await input.consistencyProof(fromSize),
    });
  // Invariant: the first `low - 1` entries match; the first `high` do not (the whole log does not).
  let low = 1;
  let high = toSize;
  try {
    while (low < high) {
      const middle = Math.floor((low + high) / 2);
      if (await prefixMatches(middle)) low = middle + 1;
      else high = middle;
    }
  } catch {
    return undefined;
  }
  return high - 1;
}
