import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isEditable, transitionRule } from './lifecycle.ts';

describe('lifecycle draft -> open -> closed', () => {
  test('only forward, one step at a time: each transition needs exactly one status', () => {
    // The repository moves an election only when its status is `from` (a conditional UPDATE), so
    // these two rules are the whole lifecycle: nothing moves backwards or skips a step.
    assert.deepEqual(transitionRule('open'), { from: 'draft', to: 'open' });
    assert.deepEqual(transitionRule('close'), { from: 'open', to: 'closed' });
  });

  test('only drafts are editable', () => {
    assert.deepEqual((['draft', 'open', 'closed'] as const).map(isEditable), [true, false, false]);
  });
});
