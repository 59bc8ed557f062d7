import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { aBallotLeaf, anEventLeaf } from '../test/support/leaves.ts';
import { ReferenceLog } from '../test/support/reference-log.ts';
import { ballotHashOfReceipt, checkReceiptInclusion, type InclusionProof } from './receipt.ts';
import type { TreeHead } from './tree-head.ts';

const electionId = 'el_1';

describe('receipts', () => {
  it('hashes a receipt id as base64url SHA-256 of its UTF-8', async () => {
    for (const receiptId of ['rc_01HZX', 'ünïcode-receipt']) {
      assert.equal(await ballotHashOfReceipt(receiptId), createHash('sha256').update(receiptId, 'utf8').digest('base64url'));
    }
  });

  const leaves = [
    anEventLeaf({ electionId, event: 'opened' }),
    ...Array.from({ length: 6 }, (_, i) => aBallotLeaf({ electionId, receiptId: `r${i}`, selections: [{ questionId: 'q1', optionIds: ['o1'] }] })),
  ];
  const log = new ReferenceLog(leaves);
  // The signature is not checkReceiptInclusion's business: the caller checks the head first.
  const head: TreeHead = { electionId, treeSize: 7, rootHash: log.hash().toString('base64url'), timestamp: '2025-06-01T10:00:00Z', signature: '', keyId: 'k', final: false };
  const proofOf = (leafIndex: number): InclusionProof => ({
    leafIndex,
    leaf: leaves[leafIndex]!,
    leafHash: log.leafHashes[leafIndex]!.toString('base64url'),
    treeSize: 7,
    auditPath: log.inclusionPath(leafIndex).map((hash) => hash.toString('base64url')),
  });

  it("accepts a receipt's proof that leads to the head's root", async () => {
    assert.deepEqual(await checkReceiptInclusion({ receiptId: 'r3', proof: proofOf(4), head }), {
      ok: true,
      leafIndex: 4,
      ballotHash: await ballotHashOfReceipt('r3'),
    });
  });

  it('refuses a proof for another receipt, a wrong leafHash, a wrong path, another size', async () => {
    const failures = async (proof: InclusionProof, receiptId = 'r3') => {
      const check = await checkReceiptInclusion({ receiptId, proof, head });
      return check.ok ? 'ok' : check.message;
    };
    assert.match(await failures(proofOf(4), 'r4'), /is ballot .*, not the receipt's/);
    assert.match(await failures({ ...proofOf(4), leafHash: log.leafHashes[3]!.toString('base64url') }), /leafHash is not SHA-256/);
    const auditPath = proofOf(4).auditPath.slice();
    auditPath[1] = log.leafHashes[0]!.toString('base64url');
    assert.equal(await failures({ ...proofOf(4), auditPath }), 'the inclusion proof for entry 4 does not lead to the signed root');
    assert.equal(await failures({ ...proofOf(4), leafIndex: 5 }), 'the inclusion proof for entry 5 does not lead to the signed root');
    assert.match(await failures({ ...proofOf(4), treeSize: 6 }), /for tree size 6, not the head's 7/);
    assert.match(await failures(proofOf(0)), /is not a ballot/);
  });
});
