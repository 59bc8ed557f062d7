import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import type { ElectionConfig } from '@onevote/election-config';
import { availability, ballotProblem } from './ballot.ts';

function anElection(overrides: Partial<ElectionConfig> = {}): ElectionConfig {
  const question = (min: number, max: number) => ({
    id: randomUUID(),
    title: 'q',
    minSelections: min,
    maxSelections: max,
    options: [0, 1, 2].map(() => ({ id: randomUUID(), label: 'o' })),
  });
  return {
    id: randomUUID(),
    title: 'e',
    description: '',
    status: 'open',
    questions: [question(1, 1), question(1, 2)],
    opensAt: null,
    closesAt: null,
    resultsVisibility: 'live',
    requireChallenge: false,
    eligibility: 'open',
    createdAt: new Date().toISOString(),
    revision: 1,
    ...overrides,
  };
}

const pick = (e: ElectionConfig, counts: number[]) =>
  e.questions.map((q, i) => ({
    questionId: q.id,
    optionIds: q.options.slice(0, counts[i]).map((o) => o.id),
  }));

describe('ballot validation', () => {
  const election = anElection();

  test('one valid entry per question passes', () => {
    assert.equal(ballotProblem(election, pick(election, [1, 2])), undefined);
  });

  test('too few, too many, repeated, unknown and missing are refused', () => {
    const [q1, q2] = election.questions;
    assert.match(ballotProblem(election, pick(election, [0, 1]))!, /at least 1/);
    assert.match(ballotProblem(election, pick(election, [2, 1]))!, /at most 1/);
    const repeated = [
      { questionId: q1!.id, optionIds: [q1!.options[0]!.id] },
      { questionId: q2!.id, optionIds: [q2!.options[0]!.id, q2!.options[0]!.id] },
    ];
    assert.match(ballotProblem(election, repeated)!, /twice/);
    const unknownOption = [
      { questionId: q1!.id, optionIds: [q2!.options[0]!.id] },
      { questionId: q2!.id, optionIds: [q2!.options[0]!.id] },
    ];
    assert.match(ballotProblem(election, unknownOption)!, /unknown option/);
    assert.match(ballotProblem(election, [{ questionId: randomUUID(), optionIds: [] }])!, /unknown question/);
    assert.match(ballotProblem(election, pick(election, [1, 1]).slice(0, 1))!, /not answered/);
    const twice = [...pick(election, [1, 1]), pick(election, [1, 1])[0]!];
    assert.match(ballotProblem(election, twice)!, /answered twice/);
  });
});

describe('election availability', () => {
  const now = Date.now();
  test('open, draft, closed, missing and outside its window', () => {
    assert.equal(availability(anElection(), now), 'open');
    assert.equal(availability(anElection({ status: 'draft' }), now), 'not_open');
    assert.equal(availability(anElection({ status: 'closed' }), now), 'not_open');
    assert.equal(availability(undefined, now), 'not_found');
    const later = new Date(now + 60_000).toISOString();
    const earlier = new Date(now - 60_000).toISOString();
    assert.equal(availability(anElection({ opensAt: later }), now), 'not_open');
    assert.equal(availability(anElection({ closesAt: earlier }), now), 'not_open');
    assert.equal(availability(anElection({ opensAt: earlier, closesAt: later }), now), 'open');
  });

  test('an election opened a moment ago by a database clock a little ahead of this one is open', () => {
    const justNowThere = new Date(now + 1500).toISOString();
    assert.equal(availability(anElection({ opensAt: justNowThere }), now), 'open');
  });
});
