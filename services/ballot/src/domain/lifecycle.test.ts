import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isEditable, isExportable, nextStatus } from './lifecycle.ts';

describe('lifecycle draft -> open -> closed', () => {
  test('only forward, one step at a time', () => {
    assert.equal(nextStatus('draft', 'open'), 'open');
    assert.equal(nextStatus('open', 'close'), 'closed');
    assert.equal(nextStatus('draft', 'close'), undefined);
    assert.equal(nextStatus('open', 'open'), undefined);
    assert.equal(nextStatus('closed', 'open'), undefined);
    assert.equal(nextStatus('closed', 'close'), undefined);
  });

  test('only drafts are editable; only closed elections are exportable', () => {
    assert.deepEqual((['draft', 'open', 'closed'] as const).map(isEditable), [true, false, false]);
    assert.deepEqual((['draft', 'open', 'closed'] as const).map(isExportable), [false, false, true]);
  });
});
