// RFC 9162 §2.1 test vectors (the 8-leaf tree of the certificate-transparency implementations) for
// the verifier's hashing and proof verification, each proof also mutated in every way that must fail.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { emptyRoot, leafHash, LogTree, rootFromLeaves, verifyConsistency, verifyInclusion } from '../src/index.ts';
import { ReferenceLog } from './support/reference-log.ts';

interface Vectors {
  emptyRoot: string;
  leaves: string[];
  leafHashes: string[];
  roots: Record<string, string>;
  inclusion: { leafIndex: number; treeSize: number; auditPath: string[] }[];
  consistency: { from: number; to: number; proof: string[] }[];
}

const vectors = JSON.parse(readFileSync(new URL('./fixtures/rfc9162-vectors.json', import.meta.url), 'utf8')) as Vectors;
const bytes = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex, 'hex'));
const hex = (value: Uint8Array) => Buffer.from(value).toString('hex');
const leaves = vectors.leaves.map(bytes);
const leafHashes = vectors.leafHashes.map(bytes);
const root = (size: number) => (size === 0 ? bytes(vectors.emptyRoot) : bytes(vectors.roots[String(size)]!));

function flipBit(value: Uint8Array, bit = 0): Uint8Array {
  const copy = new Uint8Array(value);
  copy[bit >> 3]! ^= 1 << (bit & 7);
  return copy;
}

describe('RFC 9162 hashing', () => {
  it('hashes every vector leaf to its leaf hash, and the empty tree to SHA-256("")', async () => {
    assert.equal(vectors.leaves.length, 8);
    for (const [i, leaf] of leaves.entries()) assert.equal(hex(await leafHash(leaf)), vectors.leafHashes[i], `leaf ${i}`);
    assert.equal(hex(await emptyRoot()), vectors.emptyRoot);
    assert.equal(hex(await rootFromLeaves([])), vectors.emptyRoot);
  });

  it('computes the root of every prefix size, from leaves and incrementally in a LogTree', async () => {
    const tree = new LogTree();
    for (let size = 1; size <= 8; size++) {
      assert.equal(hex(await rootFromLeaves(leaves.slice(0, size))), vectors.roots[String(size)], `rootFromLeaves ${size}`);
      await tree.append([leafHashes[size - 1]!]);
      assert.equal(hex(await tree.root()), vectors.roots[String(size)], `LogTree after ${size}`);
    }
    for (let size = 0; size <= 8; size++) assert.deepEqual(await tree.rootAt(size), root(size), `rootAt(${size})`);
  });

  it('the 8-leaf root is the one certificate-transparency publishes', () => {
    assert.equal(vectors.roots['8'], '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328');
  });

  it('the test scaffolding reference log agrees with every vector (so the CLI tests serve true proofs)', () => {
    const reference = new ReferenceLog(vectors.leaves.map((leaf) => Buffer.from(leaf, 'hex')));
    for (let size = 0; size <= 8; size++) assert.equal(reference.hash(0, size).toString('hex'), hex(root(size)));
    for (const v of vectors.inclusion) {
      assert.deepEqual(reference.inclusionPath(v.leafIndex, v.treeSize).map((h) => h.toString('hex')), v.auditPath);
    }
    for (const v of vectors.consistency) {
      assert.deepEqual(reference.consistencyProof(v.from, v.to).map((h) => h.toString('hex')), v.proof);
    }
  });
});

describe('RFC 9162 §2.1.3.2 inclusion proofs', () => {
  assert.equal(vectors.inclusion.length, 36);
  for (const v of vectors.inclusion) {
    const proof = () => ({
      leafHash: leafHashes[v.leafIndex]!,
      leafIndex: v.leafIndex,
      treeSize: v.treeSize,
      auditPath: v.auditPath.map(bytes),
      rootHash: root(v.treeSize),
    });

    it(`leaf ${v.leafIndex} of ${v.treeSize}: verifies, and no mutation of it does`, async () => {
      assert.equal(await verifyInclusion(proof()), true);

      assert.equal(await verifyInclusion({ ...proof(), leafHash: flipBit(proof().leafHash) }), false, 'flipped leaf hash');
      assert.equal(await verifyInclusion({ ...proof(), rootHash: flipBit(proof().rootHash, 255) }), false, 'flipped root');
      for (let i = 0; i < v.auditPath.length; i++) {
        const auditPath = proof().auditPath;
        auditPath[i] = flipBit(auditPath[i]!, 77);
        assert.equal(await verifyInclusion({ ...proof(), auditPath }), false, `flipped path element ${i}`);
      }
      for (const leafIndex of [v.leafIndex - 1, v.leafIndex + 1, v.treeSize, -1, 0.5]) {
        if (leafIndex === v.leafIndex) continue;
        assert.equal(await verifyInclusion({ ...proof(), leafIndex }), false, `wrong index ${leafIndex}`);
      }
      // A size claimed wrongly, with the root of that size (a proof for one head shown against another).
      // The size alone is not bound by the path: a signed head binds it to its root.
      for (const treeSize of [v.treeSize - 1, v.treeSize + 1]) {
        if (treeSize < 1 || treeSize > 8) continue;
        assert.equal(await verifyInclusion({ ...proof(), treeSize, rootHash: root(treeSize) }), false, `wrong tree size ${treeSize}`);
      }
      assert.equal(await verifyInclusion({ ...proof(), treeSize: 0 }), false, 'tree size 0');
      if (v.auditPath.length > 0) {
        assert.equal(await verifyInclusion({ ...proof(), auditPath: proof().auditPath.slice(0, -1) }), false, 'truncated');
        assert.equal(await verifyInclusion({ ...proof(), auditPath: proof().auditPath.slice(1) }), false, 'first element dropped');
      }
      assert.equal(await verifyInclusion({ ...proof(), auditPath: [...proof().auditPath, root(8)] }), false, 'extended');
      assert.equal(await verifyInclusion({ ...proof(), auditPath: [leafHashes[0]!, ...proof().auditPath] }), false, 'prefixed');
      assert.equal(
        await verifyInclusion({ ...proof(), auditPath: [...proof().auditPath, new Uint8Array(31)] }),
        false,
        'a hash of the wrong length',
      );
    });
  }
});

describe('RFC 9162 §2.1.4.2 consistency proofs', () => {
  assert.equal(vectors.consistency.length, 36);
  for (const v of vectors.consistency) {
    const input = () => ({
      fromSize: v.from,
      toSize: v.to,
      fromRoot: root(v.from),
      toRoot: root(v.to),
      proof: v.proof.map(bytes),
    });

    it(`from ${v.from} to ${v.to}: verifies, and no mutation of it does`, async () => {
      assert.equal(await verifyConsistency(input()), true);

      assert.equal(await verifyConsistency({ ...input(), fromRoot: flipBit(input().fromRoot) }), false, 'flipped first root');
      assert.equal(await verifyConsistency({ ...input(), toRoot: flipBit(input().toRoot, 200) }), false, 'flipped second root');
      for (let i = 0; i < v.proof.length; i++) {
        const proof = input().proof;
        proof[i] = flipBit(proof[i]!, 13);
        assert.equal(await verifyConsistency({ ...input(), proof }), false, `flipped proof element ${i}`);
      }
      // A size claimed wrongly, with the root of that size (the proof between two other heads).
      for (const fromSize of [v.from - 1, v.from + 1]) {
        if (fromSize < 1 || fromSize > v.to) continue;
        const wrong = { ...input(), fromSize, fromRoot: root(fromSize) };
        assert.equal(await verifyConsistency(wrong), false, `wrong first size ${fromSize}`);
      }
      for (const toSize of [v.to - 1, v.to + 1]) {
        if (toSize < v.from || toSize > 8) continue;
        assert.equal(await verifyConsistency({ ...input(), toSize, toRoot: root(toSize) }), false, `wrong second size ${toSize}`);
      }
      assert.equal(await verifyConsistency({ ...input(), fromSize: v.to + 1, toSize: v.to }), false, 'first larger than second');
      if (v.proof.length > 0) {
        assert.equal(await verifyConsistency({ ...input(), proof: input().proof.slice(0, -1) }), false, 'truncated');
        assert.equal(await verifyConsistency({ ...input(), proof: input().proof.slice(1) }), false, 'first element dropped');
        assert.equal(await verifyConsistency({ ...input(), proof: [] }), false, 'empty');
      }
      assert.equal(await verifyConsistency({ ...input(), proof: [...input().proof, root(8)] }), false, 'extended');
      assert.equal(await verifyConsistency({ ...input(), proof: [root(1), ...input().proof] }), false, 'prefixed');
    });
  }

  it('the empty tree is consistent with every tree, by an empty proof only', async () => {
    for (let size = 0; size <= 8; size++) {
      assert.equal(await verifyConsistency({ fromSize: 0, toSize: size, fromRoot: root(0), toRoot: root(size), proof: [] }), true);
      assert.equal(
        await verifyConsistency({ fromSize: 0, toSize: size, fromRoot: root(0), toRoot: root(size), proof: [root(1)] }),
        false,
      );
      assert.equal(
        await verifyConsistency({ fromSize: 0, toSize: size, fromRoot: root(1), toRoot: root(size), proof: [] }),
        false,
        'a "size 0" head whose root is not the empty root',
      );
    }
  });

  it('a proof between two trees of different histories does not verify', async () => {
    // Trees whose first four leaves differ from the vectors': every proof from the vectors' tree fails.
    const other = new ReferenceLog(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
    for (const v of vectors.consistency.filter((c) => c.from < c.to)) {
      const fromOther = await verifyConsistency({
        fromSize: v.from,
        toSize: v.to,
        fromRoot: new Uint8Array(other.hash(0, v.from)),
        toRoot: root(v.to),
        proof: v.proof.map(bytes),
      });
      assert.equal(fromOther, false, `${v.from} -> ${v.to}`);
    }
  });
});
