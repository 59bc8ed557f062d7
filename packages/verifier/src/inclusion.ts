import { equalBytes } from './encoding.ts';
import { hashLength, nodeHash } from './merkle.ts';

export interface InclusionProofInput {
  /** RFC 9162 leaf hash of the entry, SHA-256(0x00 || leaf). */
  leafHash: Uint8Array;
  leafIndex: number;
  treeSize: number;
  /** The audit path, from the leaf's sibling up to the root's child. */
  auditPath: readonly Uint8Array[];
  /** The root of the tree of `treeSize` leaves, from a signed head. */
  rootHash: Uint8Array;
}

export function isTreeIndex(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

// Halving with arithmetic, not `>>`: bitwise operators would wrap above 2^31 leaves.
export function half(value: number): number {
  return Math.floor(value / 2);
}

export function isOdd(value: number): boolean {
  return value % 2 === 1;
}

/** RFC 9162 §2.1.3.2: does `auditPath` prove that `leafHash` is entry `leafIndex` of the tree with `rootHash`? */
export async function verifyInclusion(proof: InclusionProofInput): Promise<boolean> {
  const { leafIndex, treeSize, auditPath } = proof;
  if (!isTreeIndex(leafIndex) || !isTreeIndex(treeSize) || leafIndex >= treeSize) return false;
  if (proof.leafHash.length !== hashLength || auditPath.some((hash) => hash.length !== hashLength)) return false;
  let fn = leafIndex;
  let sn = treeSize - 1;
  let r: Uint8Array = proof.leafHash;
  for (const p of auditPath) {
    // A path longer than the tree is tall cannot lead to its root.
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      r = await nodeHash(p, r);
      // The right edge of a tree whose size is not a power of two: climb past the levels where this
      // node has no right sibling.
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && equalBytes(r, proof.rootHash);
}
