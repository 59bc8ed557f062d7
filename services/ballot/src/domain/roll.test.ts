import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseRollLine } from './roll.ts';

describe('parseRollLine', () => {
  test('an address is trimmed and lower-cased as at registration; a quoted one is unquoted', () => {
    assert.deepEqual(parseRollLine('  Ann@Example.ORG \r', false), { kind: 'email', email: 'ann@example.org' });
    assert.deepEqual(parseRollLine('"bob@example.org"', false), { kind: 'email', email: 'bob@example.org' });
  });

  test('the header is allowed on the first line only', () => {
    assert.deepEqual(parseRollLine('email', true), { kind: 'header' });
    assert.deepEqual(parseRollLine('"Email"', true), { kind: 'header' });
    assert.deepEqual(parseRollLine('email', false), { kind: 'invalid' });
  });

  test('blank lines are ignored; anything else that is not an address is invalid', () => {
    assert.deepEqual(parseRollLine('   ', false), { kind: 'blank' });
    for (const line of ['not an email', 'a@b', 'ann@example.org,Ann', '@example.org', 'ann@@example.org']) {
      assert.deepEqual(parseRollLine(line, false), { kind: 'invalid' }, line);
    }
  });
});
