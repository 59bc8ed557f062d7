import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { dueAction, scheduleProblem } from './schedule.ts';

const now = new Date('2026-01-01T12:00:00Z');
const at = (offsetMs: number) => new Date(now.getTime() + offsetMs).toISOString();

describe('schedule rules', () => {
  test('closesAt must come after opensAt, and be in the future when it is set', () => {
    assert.equal(
      scheduleProblem({ opensAt: at(1000), closesAt: at(2000) }, { now, changed: true }),
      undefined,
    );
    assert.match(
      scheduleProblem({ opensAt: at(2000), closesAt: at(1000) }, { now, changed: true })!,
      /after opensAt/,
    );
    assert.match(scheduleProblem({ opensAt: null, closesAt: at(-1) }, { now, changed: true })!, /future/);
    // An unrelated edit is not refused because a stored time has passed meanwhile.
    assert.equal(scheduleProblem({ opensAt: null, closesAt: at(-1) }, { now, changed: false }), undefined);
    assert.equal(scheduleProblem({ opensAt: at(-5000), closesAt: null }, { now, changed: true }), undefined);
  });

  test('a draft is due to open at opensAt, an open election due to close at closesAt, nothing else', () => {
    assert.equal(dueAction({ status: 'draft', opensAt: at(0), closesAt: null }, now), 'open');
    assert.equal(dueAction({ status: 'draft', opensAt: at(1), closesAt: null }, now), undefined);
    assert.equal(dueAction({ status: 'draft', opensAt: null, closesAt: at(-1) }, now), undefined);
    assert.equal(dueAction({ status: 'open', opensAt: at(-10), closesAt: at(0) }, now), 'close');
    assert.equal(dueAction({ status: 'open', opensAt: at(-10), closesAt: null }, now), undefined);
    assert.equal(dueAction({ status: 'closed', opensAt: at(-10), closesAt: at(-5) }, now), undefined);
  });
});
