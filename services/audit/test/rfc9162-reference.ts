/**
 * Test scaffolding: RFC 9162 §2.1 written as literally as the RFC states it (recursive MTH, PATH and
 * PROOF over the whole list of leaves, and the §2.1.3.2 / §2.1.4.2 verification algorithms), with
 * its own hashing. The service's store is held to this; it shares no code with src/.
 */
import { createHash } from 'node:crypto';

const sha256 = (...parts: Uint8Array[]) => {
  const h = createHash('sha256');
  for (const part of parts) h.update(part);
  return new Uint8Array(h.digest());
};

export const refLeafHash = (leaf: Uint8Array) => sha256(Uint8Array.of(0), leaf);
const refNodeHash = (left: Uint8Array, right: Uint8Array) => sha256(Uint8Array.of(1), left, right);

/** The largest power of two smaller than n (n > 1). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH(D[n]) over the leaves' hashes. */
export function refRoot(hashes: readonly Uint8Array[]): Uint8Array {
  if (hashes.length === 0) return sha256();
  if (hashes.length === 1) return hashes[0]!;
  const k = split(hashes.length);
  return refNodeHash(refRoot(hashes.slice(0, k)), refRoot(hashes.slice(k)));
}

/** PATH(m, D[n]). */
export function refPath(m: number, hashes: readonly Uint8Array[]): Uint8Array[] {
  if (hashes.length <= 1) return [];
  const k = split(hashes.length);
  return m < k
    ? [...refPath(m, hashes.slice(0, k)), refRoot(hashes.slice(k))]
    : [...refPath(m - k, hashes.slice(k)), refRoot(hashes.slice(0, k))];
}

/** PROOF(m, D[n]); empty for m = 0 and m = n. */
export function refProof(m: number, hashes: readonly Uint8Array[]): Uint8Array[] {
  if (m === 0 || m === hashes.length) return [];
  const sub = (m: number, d: readonly Uint8Array[], b: boolean): Uint8Array[] => {
    if (m === d.length) return b ? [] : [refRoot(d)];
    const k = split(d.length);
    return m <= k
      ? [...sub(m, d.slice(0, k), b), refRoot(d.slice(k))]
      : [...sub(m - k, d.slice(k), false), refRoot(d.slice(0, k))];
  };
  return sub(m, hashes, true);
}

const equal = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0;
const odd = (n: number) => n % 2 === 1;
const half = (n: number) => Math.floor(n / 2);

/** RFC 9162 §2.1.3.2. */
export function verifyInclusion(input: {
  leafIndex: number;
  treeSize: number;
  leafHash: Uint8Array;
  auditPath: readonly Uint8Array[];
  rootHash: Uint8Array;
}): boolean {
  const { leafIndex, treeSize, leafHash, auditPath, rootHash } = input;
  if (leafIndex >= treeSize) return false;
  let fn = leafIndex;
  let sn = treeSize - 1;
  let r = leafHash;
  for (const p of auditPath) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      r = refNodeHash(p, r);
      while (!odd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = refNodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && equal(r, rootHash);
}

/** RFC 9162 §2.1.4.2, with the trivial cases (equal sizes, empty first tree) made explicit. */
export function verifyConsistency(input: {
  first: number;
  second: number;
  firstHash: Uint8Array;
  secondHash: Uint8Array;
  proof: readonly Uint8Array[];
}): boolean {
  const { first, second, firstHash, secondHash, proof } = input;
  if (first > second) return false;
  if (first === second) return proof.length === 0 && equal(firstHash, secondHash);
  if (first === 0) return proof.length === 0 && equal(firstHash, sha256());
  if (proof.length === 0) return false;
  const isPowerOfTwo = (first & (first - 1)) === 0;
  const path = isPowerOfTwo ? [firstHash, ...proof] : [...proof];
  let fn = first - 1;
  let sn = second - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      fr = refNodeHash(c, fr);
      sr = refNodeHash(c, sr);
      while (!odd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = refNodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return equal(fr, firstHash) && equal(sr, secondHash) && sn === 0;
}
