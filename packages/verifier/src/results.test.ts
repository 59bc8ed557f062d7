import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareTallyWithResults, type ElectionResults } from './results.ts';
import type { LogTallySummary } from './tally.ts';

const tally: LogTallySummary = {
  totalBallots: 5,
  ballotLeaves: 6,
  voided: 1,
  events: 0,
  otherLeaves: 0,
  questions: [{ questionId: 'q1', options: [{ optionId: 'o1', votes: 2 }, { optionId: 'o2', votes: 3 }] }],
};

function results(votes: Record<string, number>, totalBallots = 5): ElectionResults {
  return {
    electionId: 'el_1',
    status: 'closed',
    totalBallots,
    questions: [{ questionId: 'q1', options: Object.entries(votes).map(([optionId, v]) => ({ optionId, label: optionId, votes: v })) }],
  };
}

describe('compareTallyWithResults', () => {
  it('finds no difference when every option and the total agree; an option the log never names has 0', () => {
    assert.deepEqual(compareTallyWithResults(tally, results({ o1: 2, o2: 3, o3: 0 })), []);
  });

  it('names each option that differs, then the total', () => {
    assert.deepEqual(
      compareTallyWithResults(tally, results({ o1: 2, o2: 4, o3: 1 }, 6)).map((d) => d.message),
      [
        'option o2 of question q1: the log counts 3, the results say 4',
        'option o3 of question q1: the log counts 0, the results say 1',
        'totalBallots: the log counts 5, the results say 6',
      ],
    );
  });

  it('names an option the results do not list', () => {
    assert.deepEqual(
      compareTallyWithResults(tally, results({ o1: 2 })).map((d) => d.message),
      ['option o2 of question q1: the log counts 3, the results do not list it'],
    );
  });
});
