// Test scaffolding: a second, deliberately plain Merkle log written straight from RFC 9162's
// recursive definitions (§2.1.1 MTH, §2.1.3.1 PATH, §2.1.4.1 PROOF/SUBPROOF) on node:crypto, so the
// test server's proofs do not come from the code under test.
import { createHash } from 'node:crypto';

export function sha256(...parts: Buffer[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

export function referenceLeafHash(leaf: string | Buffer): Buffer {
  return sha256(Buffer.from([0]), typeof leaf === 'string' ? Buffer.from(leaf, 'utf8') : leaf);
}

function referenceNodeHash(left: Buffer, right: Buffer): Buffer {
  return sha256(Buffer.from([1]), left, right);
}

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

export class ReferenceLog {
  readonly leafHashes: Buffer[];
  private readonly memo = new Map<string, Buffer>();

  constructor(readonly leaves: readonly (string | Buffer)[]) {
    this.leafHashes = leaves.map(referenceLeafHash);
  }

  get size(): number {
    return this.leaves.length;
  }

  /** MTH(D[start:end]) */
  hash(start = 0, end = this.size): Buffer {
    const n = end - start;
    if (n === 0) return sha256();
    if (n === 1) return this.leafHashes[start]!;
    const key = `${start}:${end}`;
    let cached = this.memo.get(key);
    if (!cached) {
      const k = largestPowerOfTwoBelow(n);
      cached = referenceNodeHash(this.hash(start, start + k), this.hash(start + k, end));
      this.memo.set(key, cached);
    }
    return cached;
  }

  /** PATH(m, D[0:treeSize]) */
  inclusionPath(m: number, treeSize = this.size): Buffer[] {
    const path = (index: number, start: number, end: number): Buffer[] => {
      const n = end - start;
      if (n === 1) return [];
      const k = largestPowerOfTwoBelow(n);
      return index < k
        ? [...path(index, start, start + k), this.hash(start + k, end)]
        : [...path(index - k, start + k, end), this.hash(start, start + k)];
    };
    return path(m, 0, treeSize);
  }

  /** PROOF(m, D[0:n]) */
  consistencyProof(m: number, n = this.size): Buffer[] {
    const subproof = (size: number, start: number, end: number, complete: boolean): Buffer[] => {
      const width = end - start;
      if (size === width) return complete ? [] : [this.hash(start, end)];
      const k = largestPowerOfTwoBelow(width);
      return size <= k
        ? [...subproof(size, start, start + k, complete), this.hash(start + k, end)]
        : [...subproof(size - k, start + k, end, false), this.hash(start, start + k)];
    };
    return m === 0 || m === n ? [] : subproof(m, 0, n, true);
  }
}
