import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aBallotLeaf, anEventLeaf, aVoidLeaf, ballotHash } from '../test/support/leaves.ts';
import { tallyLeaves } from './tally.ts';

const electionId = 'el_1';
const vote = (receiptId: string, ...optionIds: string[]) =>
  aBallotLeaf({ electionId, receiptId, selections: [{ questionId: 'q1', optionIds }] });

describe('tallyLeaves', () => {
  it('counts ballot leaves minus the voided ones, ignoring events and unknown kinds', () => {
    const { tally, problems } = tallyLeaves(
      [
        anEventLeaf({ electionId, event: 'opened' }),
        vote('r1', 'o1'),
        vote('r2', 'o2'),
        vote('r3', 'o2'),
        '{"v":1,"kind":"checkpoint"}',
        aBallotLeaf({ electionId, receiptId: 'r4', selections: [{ questionId: 'q1', optionIds: ['o1'] }, { questionId: 'q2', optionIds: ['a', 'b'] }] }),
        aVoidLeaf({ electionId, receiptId: 'r2' }),
        anEventLeaf({ electionId, event: 'closed' }),
      ],
      { electionId },
    );
    assert.deepEqual(problems, []);
    assert.deepEqual(tally, {
      totalBallots: 3,
      ballotLeaves: 4,
      voided: 1,
      events: 2,
      otherLeaves: 1,
      questions: [
        { questionId: 'q1', options: [{ optionId: 'o1', votes: 2 }, { optionId: 'o2', votes: 1 }] },
        { questionId: 'q2', options: [{ optionId: 'a', votes: 1 }, { optionId: 'b', votes: 1 }] },
      ],
    });
  });

  const cases: [string, string[], string][] = [
    ['a void naming a ballot not in the log', [vote('r1', 'o1'), aVoidLeaf({ electionId, receiptId: 'r9' })], `entry 1 voids ballot ${ballotHash('r9')}, which is not earlier in the log`],
    ['a void before its ballot', [aVoidLeaf({ electionId, receiptId: 'r1' }), vote('r1', 'o1')], `entry 0 voids ballot ${ballotHash('r1')}, which is not earlier in the log`],
    ['a ballot hash twice', [vote('r1', 'o1'), vote('r2', 'o1'), vote('r1', 'o2')], `entry 2 repeats ballot ${ballotHash('r1')}, already entry 0`],
    ['a ballot voided twice', [vote('r1', 'o1'), aVoidLeaf({ electionId, receiptId: 'r1' }), aVoidLeaf({ electionId, receiptId: 'r1' })], `entry 2 voids ballot ${ballotHash('r1')} again (already voided by entry 1)`],
    ['a leaf of another election', [vote('r1', 'o1'), aBallotLeaf({ electionId: 'el_2', receiptId: 'r2', selections: [] })], 'entry 1 belongs to election el_2, not el_1'],
    ['an event of another election', [anEventLeaf({ electionId: 'el_2', event: 'opened' })], 'entry 0 belongs to election el_2, not el_1'],
    ['a leaf that is not v1', [vote('r1', 'o1').replace('"v":1', '"v":2')], 'entry 0 is not a valid leaf: "v" is 2, not 1'],
  ];
  for (const [name, leaves, message] of cases) {
    it(`reports ${name}`, () => {
      assert.deepEqual(tallyLeaves(leaves, { electionId }).problems[0]?.message, message);
    });
  }
});
