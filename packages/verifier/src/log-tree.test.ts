import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReferenceLog } from '../test/support/reference-log.ts';
import { LogTree } from './log-tree.ts';
import { leafHash, rootFromLeafHashes } from './merkle.ts';

describe('LogTree', () => {
  it('gives the RFC 9162 root of every prefix, whatever the page sizes it was built in', async () => {
    const leaves = Array.from({ length: 70 }, (_, i) => `leaf ${i}`);
    const reference = new ReferenceLog(leaves);
    for (const pageSize of [1, 3, 64, 70]) {
      const tree = new LogTree();
      for (let start = 0; start < leaves.length; start += pageSize) {
        await tree.append(await Promise.all(leaves.slice(start, start + pageSize).map((leaf) => leafHash(leaf))));
      }
      assert.equal(tree.size, 70);
      for (let size = 0; size <= 70; size++) {
        assert.deepEqual(Buffer.from(await tree.rootAt(size)), reference.hash(0, size), `page ${pageSize}, size ${size}`);
      }
      assert.deepEqual(Buffer.from(tree.leafHashAt(69)), reference.leafHashes[69]);
    }
  });

  it('agrees with rootFromLeafHashes', async () => {
    const hashes = await Promise.all(Array.from({ length: 1500 }, (_, i) => leafHash(`ballot ${i}`)));
    const tree = new LogTree();
    await tree.append(hashes);
    assert.deepEqual(await tree.root(), await rootFromLeafHashes(hashes));
  });

  it('refuses a prefix longer than the tree and a hash of the wrong length', async () => {
    const tree = new LogTree();
    await tree.append([await leafHash('a')]);
    await assert.rejects(tree.rootAt(2), RangeError);
    await assert.rejects(tree.append([new Uint8Array(31)]), RangeError);
  });
});
