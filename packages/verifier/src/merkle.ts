// RFC 9162 §2.1.1 hashing with WebCrypto: leaf = SHA-256(0x00 || leaf), interior node =
// SHA-256(0x01 || left || right), the empty tree's root = SHA-256("").
import { utf8Bytes } from './encoding.ts';

export const hashLength = 32;

const leafPrefix = 0x00;
const nodePrefix = 0x01;

function subtle(): SubtleCrypto {
  const crypto = globalThis.crypto;
  if (!crypto?.subtle) throw new Error('WebCrypto (globalThis.crypto.subtle) is not available');
  return crypto.subtle;
}

export async function sha256(data: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await subtle().digest('SHA-256', data));
}

/** RFC 9162 leaf hash of a leaf's bytes; a string leaf is hashed as its UTF-8, exactly as served. */
export async function leafHash(leaf: Uint8Array | string): Promise<Uint8Array<ArrayBuffer>> {
  const bytes = typeof leaf === 'string' ? utf8Bytes(leaf) : leaf;
  const input = new Uint8Array(1 + bytes.length);
  input[0] = leafPrefix;
  input.set(bytes, 1);
  return sha256(input);
}

/** RFC 9162 interior node hash of two child hashes. */
export async function nodeHash(left: Uint8Array, right: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  const input = new Uint8Array(1 + left.length + right.length);
  input[0] = nodePrefix;
  input.set(left, 1);
  input.set(right, 1 + left.length);
  return sha256(input);
}

/** The root of the empty tree, SHA-256(""). */
export async function emptyRoot(): Promise<Uint8Array<ArrayBuffer>> {
  return sha256(new Uint8Array(0));
}

/**
 * The Merkle tree hash (RFC 9162 §2.1.1) of a list of leaf hashes. Built bottom-up level by level,
 * each level's hashes requested at once: WebCrypto digests are asynchronous, and awaiting them one
 * by one is several times slower than letting them run together.
 */
export async function rootFromLeafHashes(leafHashes: readonly Uint8Array[]): Promise<Uint8Array> {
  if (leafHashes.length === 0) return emptyRoot();
  // Pairing left to right and carrying an odd last node up unchanged gives exactly the split
  // "largest power of two smaller than n" of §2.1.1: every left subtree is then a full one.
  let level = leafHashes;
  while (level.length > 1) {
    const pairs: Promise<Uint8Array>[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) pairs.push(nodeHash(level[i]!, level[i + 1]!));
    const next = await Promise.all(pairs);
    if (level.length % 2 === 1) next.push(level[level.length - 1]!);
    level = next;
  }
  return level[0]!;
}

/** The Merkle tree hash of a list of leaves (bytes, or strings hashed as UTF-8). */
export async function rootFromLeaves(leaves: readonly (Uint8Array | string)[]): Promise<Uint8Array> {
  return rootFromLeafHashes(await Promise.all(leaves.map((leaf) => leafHash(leaf))));
}
