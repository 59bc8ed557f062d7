import { emptyRoot, hashLength, nodeHash } from './merkle.ts';

/** Hashes of one tree level packed into one growing buffer: a million leaves cost 32 MB, not a million objects. */
class HashLevel {
  private bytes = new Uint8Array(hashLength * 1024);
  length = 0;

  push(hash: Uint8Array): void {
    if ((this.length + 1) * hashLength > this.bytes.length) {
      const grown = new Uint8Array(this.bytes.length * 2);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    this.bytes.set(hash, this.length * hashLength);
    this.length++;
  }

  at(index: number): Uint8Array {
    return this.bytes.slice(index * hashLength, (index + 1) * hashLength);
  }
}

/**
 * A Merkle log built from its leaf hashes as they are fetched, keeping every full subtree's hash
 * (level L holds the hashes of the aligned subtrees of 2^L leaves). That makes the root of any
 * prefix of the log — what a consistency proof from an earlier size speaks about — O(log n) work,
 * which is how the verifier finds the first entry that does not match a signed root.
 *
 * Not safe for concurrent appends: await each `append` before the next.
 */
export class LogTree {
  private readonly levels: HashLevel[] = [new HashLevel()];

  get size(): number {
    return this.levels[0]!.length;
  }

  /** The leaf hash of entry `index`. */
  leafHashAt(index: number): Uint8Array {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) throw new RangeError(`no leaf ${index}`);
    return this.levels[0]!.at(index);
  }

  /** Appends leaf hashes in log order; the new full subtrees of each level are hashed together. */
  async append(leafHashes: readonly Uint8Array[]): Promise<void> {
    for (const hash of leafHashes) {
      if (hash.length !== hashLength) throw new RangeError('a leaf hash has 32 bytes');
      this.levels[0]!.push(hash);
    }
    for (let level = 0; ; level++) {
      const below = this.levels[level]!;
      const above = (this.levels[level + 1] ??= new HashLevel());
      const pending: Promise<Uint8Array>[] = [];
      for (let i = above.length; 2 * i + 1 < below.length; i++) {
        pending.push(nodeHash(below.at(2 * i), below.at(2 * i + 1)));
      }
      // A level that gained no node cannot give the one above it a new pair.
      if (pending.length === 0) break;
      for (const hash of await Promise.all(pending)) above.push(hash);
    }
  }

  /** The root of the first `size` leaves (RFC 9162 §2.1.1), for 0 <= size <= this.size. */
  async rootAt(size: number): Promise<Uint8Array> {
    if (!Number.isInteger(size) || size < 0 || size > this.size) throw new RangeError(`no prefix of size ${size}`);
    if (size === 0) return emptyRoot();
    // The first `size` leaves split into full aligned subtrees, one per set bit of `size`, largest
    // first; the tree hash joins them from the right (§2.1.1 splits at the largest power of two).
    const subtrees: Uint8Array[] = [];
    let offset = 0;
    for (let level = Math.floor(Math.log2(size)) + 1; level >= 0; level--) {
      const width = 2 ** level;
      if (Math.floor(size / width) % 2 === 1) {
        subtrees.push(this.levels[level]!.at(offset / width));
        offset += width;
      }
    }
    let root = subtrees.pop()!;
    while (subtrees.length > 0) root = await nodeHash(subtrees.pop()!, root);
    return root;
  }

  /** The root of every leaf appended so far. */
  root(): Promise<Uint8Array> {
    return this.rootAt(this.size);
  }
}
