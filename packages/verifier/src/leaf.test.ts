import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aBallotLeaf, anEventLeaf, aVoidLeaf, ballotHash } from '../test/support/leaves.ts';
import { InvalidLeafError, parseLeaf } from './leaf.ts';

const electionId = 'el_1';
const selections = [{ questionId: 'q1', optionIds: ['o2'] }];

describe('parseLeaf', () => {
  it('reads ballot, void and event leaves', () => {
    assert.deepEqual(parseLeaf(aBallotLeaf({ electionId, receiptId: 'r1', selections })), {
      kind: 'ballot',
      electionId,
      ballot: ballotHash('r1'),
      selections,
      countedAt: '2025-06-01T10:00:00.000Z',
    });
    assert.deepEqual(parseLeaf(aVoidLeaf({ electionId, receiptId: 'r1', reason: 'duplicate identity' })), {
      kind: 'void',
      electionId,
      ballot: ballotHash('r1'),
      reason: 'duplicate identity',
      at: '2025-06-01T11:00:00.000Z',
    });
    assert.deepEqual(parseLeaf(anEventLeaf({ electionId, event: 'opened' })), {
      kind: 'event',
      electionId,
      event: 'opened',
      at: '2025-06-01T09:00:00.000Z',
    });
  });

  it('ignores unknown members and unknown kinds', () => {
    const withExtra = JSON.stringify({ ...JSON.parse(aBallotLeaf({ electionId, receiptId: 'r1', selections })), weight: 3 });
    assert.equal(parseLeaf(withExtra).kind, 'ballot');
    assert.equal('weight' in parseLeaf(withExtra), false);
    assert.deepEqual(parseLeaf('{"v":1,"kind":"checkpoint","anything":[1]}'), { kind: 'other', leafKind: 'checkpoint' });
  });

  it('refuses what is not a v1 leaf of a known shape', () => {
    const ballot = JSON.parse(aBallotLeaf({ electionId, receiptId: 'r1', selections })) as Record<string, unknown>;
    for (const text of [
      'not json',
      '[1]',
      JSON.stringify({ ...ballot, v: 2 }),
      JSON.stringify({ ...ballot, v: '1' }),
      JSON.stringify({ ...ballot, v: undefined }),
      JSON.stringify({ ...ballot, kind: 7 }),
      JSON.stringify({ ...ballot, ballot: 'short' }),
      JSON.stringify({ ...ballot, electionId: '' }),
      JSON.stringify({ ...ballot, selections: {} }),
      JSON.stringify({ ...ballot, selections: [{ questionId: 'q1', optionIds: [1] }] }),
      JSON.stringify({ ...ballot, countedAt: 5 }),
      JSON.stringify({ v: 1, kind: 'event', electionId }),
    ]) {
      assert.throws(() => parseLeaf(text), InvalidLeafError, text);
    }
  });
});
