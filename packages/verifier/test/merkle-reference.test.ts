// Beyond the 8-leaf vectors: every inclusion and consistency proof of trees up to 33 leaves (all the
// shapes around 16 and 32), from the plain recursive reference, verifies; the proof for one size
// never verifies for the neighbouring size.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LogTree, verifyConsistency, verifyInclusion } from '../src/index.ts';
import { ReferenceLog } from './support/reference-log.ts';

const log = new ReferenceLog(Array.from({ length: 33 }, (_, i) => `{"v":1,"kind":"event","n":${i}}`));
const u8 = (buffer: Buffer) => new Uint8Array(buffer);

describe('proofs of trees up to 33 leaves', () => {
  it('every inclusion proof verifies, and not against the next size', async () => {
    for (let treeSize = 1; treeSize <= 33; treeSize++) {
      for (let leafIndex = 0; leafIndex < treeSize; leafIndex++) {
        const proof = {
          leafHash: u8(log.leafHashes[leafIndex]!),
          leafIndex,
          treeSize,
          auditPath: log.inclusionPath(leafIndex, treeSize).map(u8),
          rootHash: u8(log.hash(0, treeSize)),
        };
        assert.equal(await verifyInclusion(proof), true, `${leafIndex} of ${treeSize}`);
        if (treeSize < 33) {
          const next = { ...proof, treeSize: treeSize + 1, rootHash: u8(log.hash(0, treeSize + 1)) };
          assert.equal(await verifyInclusion(next), false, `${leafIndex} of ${treeSize} as of ${treeSize + 1}`);
        }
      }
    }
  });

  it('every consistency proof verifies, and not from the next size', async () => {
    for (let toSize = 1; toSize <= 33; toSize++) {
      for (let fromSize = 0; fromSize <= toSize; fromSize++) {
        const input = {
          fromSize,
          toSize,
          fromRoot: u8(log.hash(0, fromSize)),
          toRoot: u8(log.hash(0, toSize)),
          proof: log.consistencyProof(fromSize, toSize).map(u8),
        };
        assert.equal(await verifyConsistency(input), true, `${fromSize} -> ${toSize}`);
        if (fromSize + 1 < toSize) {
          const shifted = { ...input, fromSize: fromSize + 1, fromRoot: u8(log.hash(0, fromSize + 1)) };
          assert.equal(await verifyConsistency(shifted), false, `${fromSize} -> ${toSize} as from ${fromSize + 1}`);
        }
      }
    }
  });

  it('LogTree gives the root of every prefix', async () => {
    const tree = new LogTree();
    await tree.append(log.leafHashes.map(u8));
    for (let size = 0; size <= 33; size++) assert.deepEqual(Buffer.from(await tree.rootAt(size)), log.hash(0, size));
  });
});
