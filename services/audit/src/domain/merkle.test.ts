import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  refLeafHash,
  refPath,
  refProof,
  refRoot,
  verifyConsistency,
  verifyInclusion,
} from '../../test/rfc9162-reference.ts';
import {
  appendPlan,
  consistencyPlan,
  emptyRoot,
  inclusionPlan,
  leafHash,
  nodeHash,
  readPlan,
  rootPlan,
  type SubtreeRef,
} from './merkle.ts';
import { InMemorySubtrees } from './subtree-memory.ts';

interface Vectors {
  emptyRoot: string;
  leaves: string[];
  leafHashes: string[];
  roots: Record<string, string>;
  inclusion: { leafIndex: number; treeSize: number; auditPath: string[] }[];
  consistency: { from: number; to: number; proof: string[] }[];
}

const vectors = JSON.parse(
  readFileSync(new URL('../../test/fixtures/rfc9162-vectors.json', import.meta.url), 'utf8'),
) as Vectors;
const hex = (value: Uint8Array) => Buffer.from(value).toString('hex');
const fromHex = (value: string) => new Uint8Array(Buffer.from(value, 'hex'));
const flipped = (value: Uint8Array) => value.map((byte, i) => (i === 0 ? byte ^ 1 : byte));
const vectorRoot = (size: number) => (size === 0 ? vectors.emptyRoot : vectors.roots[String(size)]!);

/** A log of the given leaves, appended in the given batch sizes (the rest in one last batch). */
function aLog(leaves: readonly Uint8Array[], batches: readonly number[] = []): InMemorySubtrees {
  const log = new InMemorySubtrees();
  let next = 0;
  for (const size of [...batches, leaves.length]) {
    const batch = leaves.slice(next, next + size);
    log.append(batch.map(leafHash));
    next += batch.length;
  }
  return log;
}

const numberedLeaves = (n: number) => Array.from({ length: n }, (_, i) => new TextEncoder().encode(`leaf ${i}`));

/** Every complete subtree of a tree of `size` leaves: what the store must hold, exactly. */
function completeSubtrees(size: number): SubtreeRef[] {
  const refs: SubtreeRef[] = [];
  for (let level = 0, width = 1; width <= size; level += 1, width *= 2) {
    for (let index = 0; (index + 1) * width <= size; index += 1) refs.push({ level, index });
  }
  return refs;
}
const sortedKeys = (refs: readonly SubtreeRef[]) => refs.map((r) => `${r.level}/${r.index}`).sort();

describe('RFC 9162 test vectors', () => {
  const leaves = vectors.leaves.map(fromHex);
  const full = aLog(leaves, [1, 2, 1, 3]);

  it('hashes the empty tree, every leaf and every node as RFC 9162 §2.1.1 does', async () => {
    assert.equal(hex(emptyRoot()), vectors.emptyRoot);
    assert.equal(hex(await readPlan(new InMemorySubtrees(), rootPlan(0))), vectors.emptyRoot);
    assert.deepEqual(leaves.map((leaf) => hex(leafHash(leaf))), vectors.leafHashes);
    assert.equal(hex(nodeHash(fromHex(vectors.leafHashes[0]!), fromHex(vectors.leafHashes[1]!))), vectors.roots['2']);
  });

  it('gives the published root for every size 0..8, from a log of that size and from the 8-leaf log', async () => {
    for (let size = 0; size <= 8; size += 1) {
      assert.equal(hex(await readPlan(aLog(leaves.slice(0, size)), rootPlan(size))), vectorRoot(size), `size ${size}`);
      assert.equal(hex(await readPlan(full, rootPlan(size))), vectorRoot(size), `size ${size} of 8`);
    }
  });

  it('gives every published inclusion proof', async () => {
    assert.equal(vectors.inclusion.length, 36);
    for (const { leafIndex, treeSize, auditPath } of vectors.inclusion) {
      const proof = await readPlan(full, inclusionPlan(leafIndex, treeSize));
      assert.deepEqual(proof.auditPath.map(hex), auditPath, `leaf ${leafIndex} of ${treeSize}`);
      assert.equal(hex(proof.leafHash), vectors.leafHashes[leafIndex]);
    }
  });

  it('gives every published consistency proof', async () => {
    assert.equal(vectors.consistency.length, 36);
    for (const { from, to, proof } of vectors.consistency) {
      const served = await readPlan(full, consistencyPlan(from, to));
      assert.deepEqual(served.map(hex), proof, `${from} -> ${to}`);
    }
  });

  // The reference is what the property tests and the PostgreSQL tests trust; it must match the RFC too.
  it('the test reference computes and verifies the published values', () => {
    const hashes = leaves.map(refLeafHash);
    for (let size = 0; size <= 8; size += 1) assert.equal(hex(refRoot(hashes.slice(0, size))), vectorRoot(size));
    for (const { leafIndex, treeSize, auditPath } of vectors.inclusion) {
      assert.deepEqual(refPath(leafIndex, hashes.slice(0, treeSize)).map(hex), auditPath);
      const input = { leafIndex, treeSize, leafHash: hashes[leafIndex]!, rootHash: fromHex(vectorRoot(treeSize)) };
      assert.ok(verifyInclusion({ ...input, auditPath: auditPath.map(fromHex) }), `leaf ${leafIndex} of ${treeSize}`);
      assert.ok(!verifyInclusion({ ...input, auditPath: [...auditPath.map(fromHex), hashes[0]!] }), 'a longer path');
      assert.ok(!verifyInclusion({ ...input, auditPath: auditPath.map(fromHex), rootHash: flipped(input.rootHash) }), 'another root');
    }
    for (const { from, to, proof } of vectors.consistency) {
      assert.deepEqual(refProof(from, hashes.slice(0, to)).map(hex), proof);
      const input = { first: from, second: to, firstHash: fromHex(vectorRoot(from)), secondHash: fromHex(vectorRoot(to)) };
      assert.ok(verifyConsistency({ ...input, proof: proof.map(fromHex) }), `${from} -> ${to}`);
      for (const tampered of [{ firstHash: flipped(input.firstHash) }, { secondHash: flipped(input.secondHash) }]) {
        assert.ok(!verifyConsistency({ ...input, ...tampered, proof: proof.map(fromHex) }), `${from} -> ${to} tampered`);
      }
    }
  });
});

describe('proofs from stored subtrees against the recursive definitions', () => {
  it('for every size up to 70, every root, inclusion proof and consistency proof is the RFC one', async () => {
    const leaves = numberedLeaves(70);
    const hashes = leaves.map(refLeafHash);
    const log = aLog(leaves, [3, 1, 8, 13, 2]);
    for (let size = 0; size <= 70; size += 1) {
      const prefix = hashes.slice(0, size);
      assert.deepEqual(await readPlan(log, rootPlan(size)), Buffer.from(refRoot(prefix)), `root ${size}`);
      for (let i = 0; i < size; i += 1) {
        const proof = await readPlan(log, inclusionPlan(i, size));
        assert.deepEqual(proof.auditPath.map(hex), refPath(i, prefix).map(hex), `leaf ${i} of ${size}`);
        assert.equal(hex(proof.leafHash), hex(hashes[i]!));
      }
      for (let from = 0; from <= size; from += 1) {
        const proof = await readPlan(log, consistencyPlan(from, size));
        assert.deepEqual(proof.map(hex), refProof(from, prefix).map(hex), `${from} -> ${size}`);
      }
    }
  });

  it('random appends in random batches store exactly the complete subtrees, and the root follows', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 24 }), { maxLength: 150 }),
        fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 20 }),
        async (leaves, batches) => {
          const log = new InMemorySubtrees();
          const hashes = leaves.map(refLeafHash);
          let next = 0;
          for (const size of [...batches, leaves.length]) {
            const batch = hashes.slice(next, next + size);
            const before = new Set(sortedKeys(log.stored()));
            const created = log.append(batch);
            next += batch.length;
            const expected = sortedKeys(completeSubtrees(next));
            // What the batch created is exactly what became complete, each hash the subtree's MTH.
            assert.deepEqual(sortedKeys(created), expected.filter((k) => !before.has(k)));
            for (const node of created) {
              const start = node.index * 2 ** node.level;
              assert.equal(hex(node.hash), hex(refRoot(hashes.slice(start, start + 2 ** node.level))));
            }
            assert.deepEqual(sortedKeys(log.stored()), expected);
            assert.equal(log.treeSize, next);
            assert.equal(hex(await readPlan(log, rootPlan(next))), hex(refRoot(hashes.slice(0, next))));
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('proofs of a random leaf and random sizes in a random log verify with the RFC algorithms', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 300 }).chain((n) =>
          fc.tuple(fc.constant(n), fc.nat(n - 1), fc.nat(n), fc.array(fc.integer({ min: 1, max: 64 }), { maxLength: 10 })),
        ),
        async ([n, leafIndex, from, batches]) => {
          const leaves = numberedLeaves(n);
          const hashes = leaves.map(refLeafHash);
          const log = aLog(leaves, batches);
          const rootHash = await readPlan(log, rootPlan(n));
          const { leafHash: served, auditPath } = await readPlan(log, inclusionPlan(leafIndex, n));
          assert.ok(verifyInclusion({ leafIndex, treeSize: n, leafHash: served, auditPath, rootHash }), `leaf ${leafIndex} of ${n}`);
          const proof = await readPlan(log, consistencyPlan(from, n));
          const firstHash = await readPlan(log, rootPlan(from));
          assert.ok(verifyConsistency({ first: from, second: n, firstHash, secondHash: rootHash, proof }), `${from} -> ${n}`);
          assert.equal(hex(firstHash), hex(refRoot(hashes.slice(0, from))));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('reads per operation', () => {
  const bound = (n: number) => 2 * Math.ceil(Math.log2(Math.max(n, 2))) + 1;
  const within = (refs: readonly SubtreeRef[], size: number) => {
    assert.equal(new Set(sortedKeys(refs)).size, refs.length, 'each subtree once');
    for (const { level, index } of refs) assert.ok((index + 1) * 2 ** level <= size, `${level}/${index} is complete at ${size}`);
  };

  it('head, inclusion, consistency and append read O(log n) complete subtrees, up to trees of 2^45 leaves', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 45 }).chain((n) => fc.tuple(fc.constant(n), fc.nat(n - 1), fc.nat(n))),
        ([n, leafIndex, from]) => {
          const root = rootPlan(n).subtrees;
          const inclusion = inclusionPlan(leafIndex, n).subtrees;
          const consistency = consistencyPlan(from, n).subtrees;
          const append = appendPlan(n, []).subtrees;
          for (const refs of [root, inclusion, consistency, append]) {
            within(refs, n);
            assert.ok(refs.length <= bound(n), `${refs.length} reads at ${n}`);
          }
          // The current root is the fold of the frontier an append reads.
          assert.deepEqual(sortedKeys(root), sortedKeys(append));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('at a million leaves an inclusion proof reads at most 41 subtrees, not a million', () => {
    for (const leafIndex of [0, 1, 499_999, 999_998, 999_999]) {
      const refs = inclusionPlan(leafIndex, 1_000_000).subtrees;
      within(refs, 1_000_000);
      assert.ok(refs.length <= 41, `${refs.length}`);
    }
  });
});

describe('bad arguments', () => {
  it('refuses a leaf outside the tree, sizes out of order, and non-integers', () => {
    assert.throws(() => inclusionPlan(3, 3), RangeError);
    assert.throws(() => inclusionPlan(0, 0), RangeError);
    assert.throws(() => inclusionPlan(-1, 3), RangeError);
    assert.throws(() => consistencyPlan(4, 3), RangeError);
    assert.throws(() => rootPlan(1.5), RangeError);
    assert.throws(() => rootPlan(Number.NaN), RangeError);
  });

  it('reports a subtree the store does not hold instead of computing a wrong root', async () => {
    const log = aLog(numberedLeaves(5));
    await assert.rejects(readPlan(log, rootPlan(6)), /not stored/);
  });
});
