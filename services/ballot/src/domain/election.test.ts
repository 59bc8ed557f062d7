import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { changesBetween, type DefinitionInput, defineElection, InvalidDefinition } from './election.ts';

const now = new Date('2026-01-01T00:00:00Z');
let n = 0;
const context = { now, newId: () => `id-${++n}` };
const twoOptions = [{ label: 'a' }, { label: 'b' }];
const aDefinition = (o: DefinitionInput = {}): DefinitionInput => ({
  title: 'T',
  questions: [{ title: 'Q', options: twoOptions }],
  ...o,
});
const problemsOf = (input: DefinitionInput) => {
  try {
    defineElection(input, undefined, context);
    return [];
  } catch (err) {
    assert.ok(err instanceof InvalidDefinition);
    return err.problems;
  }
};

describe('defineElection', () => {
  test('trims text, defaults to pick-exactly-one, live results, no challenge, open eligibility, and mints ids', () => {
    const d = defineElection(
      aDefinition({
        title: '  T ',
        questions: [{ title: ' Q ', options: [{ label: ' a' }, { label: 'b ' }] }],
      }),
      undefined,
      context,
    );
    assert.equal(d.title, 'T');
    assert.equal(d.description, '');
    assert.equal(d.resultsVisibility, 'live');
    assert.equal(d.requireChallenge, false);
    assert.equal(d.eligibility, 'open');
    const q = d.questions[0]!;
    assert.deepEqual([q.title, q.minSelections, q.maxSelections], ['Q', 1, 1]);
    assert.deepEqual(
      q.options.map((o) => o.label),
      ['a', 'b'],
    );
    assert.equal(new Set([q.id, ...q.options.map((o) => o.id)]).size, 3);
  });

  test('1 <= minSelections <= maxSelections <= options', () => {
    const q = (min?: number, max?: number) =>
      aDefinition({
        questions: [{ title: 'Q', options: twoOptions, minSelections: min, maxSelections: max }],
      });
    assert.deepEqual(problemsOf(q(1, 2)), []);
    assert.deepEqual(problemsOf(q(2, 2)), []);
    assert.match(problemsOf(q(2, 1)).join(), /minSelections must not exceed maxSelections/);
    assert.match(problemsOf(q(1, 3)).join(), /maxSelections must not exceed the number of options/);
    assert.match(problemsOf(q(0, 1)).join(), /at least 1/);
    // A minimum alone raises the maximum with it.
    const d = defineElection(q(2), undefined, context);
    assert.equal(d.questions[0]!.maxSelections, 2);
  });

  test('reports every problem at once', () => {
    const problems = problemsOf({ title: ' ', questions: [{ title: '', options: [{ label: 'x' }] }] });
    assert.ok(problems.some((p) => p.includes('title is required')));
    assert.ok(problems.some((p) => p.includes('questions[0].title is required')));
    assert.ok(problems.some((p) => p.includes('at least 2 options')));
    assert.match(problemsOf({ title: 'T' }).join(), /at least one question/);
    assert.match(problemsOf(aDefinition({ questions: [] })).join(), /at least one question/);
  });

  test('a partial change keeps the rest of the base definition', () => {
    const base = defineElection(aDefinition({ requireChallenge: true, eligibility: 'roll' }), undefined, context);
    const next = defineElection({ title: 'New' }, base, context);
    assert.equal(next.title, 'New');
    assert.equal(next.requireChallenge, true);
    assert.equal(next.eligibility, 'roll');
    assert.deepEqual(next.questions, base.questions);
    assert.deepEqual(changesBetween(base, next), { title: { from: 'T', to: 'New' } });
    const verified = defineElection({ eligibility: 'verified_email' }, base, context);
    assert.deepEqual(changesBetween(base, verified), { eligibility: { from: 'roll', to: 'verified_email' } });
  });

  test('eligibility outside open, verified_email and roll is refused', () => {
    assert.match(problemsOf(aDefinition({ eligibility: 'everyone' as never })).join(), /eligibility must be/);
  });
});
