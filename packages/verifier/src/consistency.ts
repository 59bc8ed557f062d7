import { equalBytes } from './encoding.ts';
import { half, isOdd, isTreeIndex } from './inclusion.ts';
import { emptyRoot, hashLength, nodeHash } from './merkle.ts';

export interface ConsistencyProofInput {
  fromSize: number;
  toSize: number;
  /** The root of the first `fromSize` leaves (an earlier signed head). */
  fromRoot: Uint8Array;
  /** The root of the first `toSize` leaves (the later signed head). */
  toRoot: Uint8Array;
  proof: readonly Uint8Array[];
}

function isPowerOfTwo(value: number): boolean {
  let n = value;
  while (n > 1 && !isOdd(n)) n = half(n);
  return n === 1;
}

/**
 * RFC 9162 §2.1.4.2: does `proof` show that the tree with `toRoot` extends the tree with `fromRoot`,
 * that is, that the log only appended between the two heads?
 */
export async function verifyConsistency(input: ConsistencyProofInput): Promise<boolean> {
  const { fromSize, toSize, fromRoot, toRoot, proof } = input;
  if (!isTreeIndex(fromSize) || !isTreeIndex(toSize) || fromSize > toSize) return false;
  if (fromRoot.length !== hashLength || toRoot.length !== hashLength) return false;
  if (proof.some((hash) => hash.length !== hashLength)) return false;
  // Equal sizes: the proof is empty (§2.1.4.1 SUBPROOF(m, D[m], true) = {}) and the roots are equal.
  if (fromSize === toSize) return proof.length === 0 && equalBytes(fromRoot, toRoot);
  // The empty tree is a prefix of every tree; its root must still be the empty root.
  if (fromSize === 0) return proof.length === 0 && equalBytes(fromRoot, await emptyRoot());
  if (proof.length === 0) return false;

  // When the earlier tree is a full subtree of the later one its root is the proof's implicit first node.
  const path = isPowerOfTwo(fromSize) ? [fromRoot, ...proof] : [...proof];
  let fn = fromSize - 1;
  let sn = toSize - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr: Uint8Array = path[0]!;
  let sr: Uint8Array = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = await nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && equalBytes(fr, fromRoot) && equalBytes(sr, toRoot);
}
