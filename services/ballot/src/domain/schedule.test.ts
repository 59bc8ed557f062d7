import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { scheduleProblem } from './schedule.ts';

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
});
