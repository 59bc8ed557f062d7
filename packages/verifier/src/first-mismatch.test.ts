import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReferenceLog } from '../test/support/reference-log.ts';
import { firstEntryNotInSignedTree } from './first-mismatch.ts';
import { LogTree } from './log-tree.ts';
import { leafHash } from './merkle.ts';

describe('firstEntryNotInSignedTree', () => {
  const leaves = Array.from({ length: 13 }, (_, i) => `entry ${i}`);
  const signed = new ReferenceLog(leaves);
  const proofs = async (fromSize: number) => signed.consistencyProof(fromSize).map((hash) => new Uint8Array(hash));

  async function treeOf(served: string[]) {
    const tree = new LogTree();
    await tree.append(await Promise.all(served.map((leaf) => leafHash(leaf))));
    return tree;
  }

  it('names the altered entry, wherever it is', async () => {
    for (let altered = 0; altered < leaves.length; altered++) {
      const served = leaves.map((leaf, i) => (i === altered ? `${leaf}!` : leaf));
      const found = await firstEntryNotInSignedTree({ tree: await treeOf(served), signedRoot: signed.hash(), consistencyProof: proofs });
      assert.equal(found, altered);
    }
  });

  it('names the first of two swapped entries', async () => {
    const served = [...leaves];
    [served[4], served[9]] = [served[9]!, served[4]!];
    assert.equal(await firstEntryNotInSignedTree({ tree: await treeOf(served), signedRoot: signed.hash(), consistencyProof: proofs }), 4);
  });

  it('gives up when the proofs cannot be had', async () => {
    const served = leaves.map((leaf, i) => (i === 3 ? 'x' : leaf));
    const unavailable = async () => Promise.reject(new Error('503'));
    assert.equal(await firstEntryNotInSignedTree({ tree: await treeOf(served), signedRoot: signed.hash(), consistencyProof: unavailable }), undefined);
  });
});
