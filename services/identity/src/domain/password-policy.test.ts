import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parsePasswordList, passwordProblem } from './password-policy.ts';

const shipped = parsePasswordList(readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8'));

describe('password policy', () => {
  test('the shipped list holds well over a thousand common passwords and no comments', () => {
    assert.ok(shipped.size > 1000, String(shipped.size));
    assert.ok(shipped.has('qwertyuiop'));
    assert.ok(![...shipped].some((p) => p.startsWith('#')));
  });

  test('a password shorter than 10 characters is too short, counted in characters', () => {
    assert.equal(passwordProblem('abcdefghi', shipped), 'too_short');
    assert.equal(passwordProblem('🗳️🗳️🗳️🗳️', shipped), 'too_short');
    assert.equal(passwordProblem('correct horse', shipped), undefined);
  });

  test('a listed password is too common, whatever its case', () => {
    assert.equal(passwordProblem('QwertyUIOP', shipped), 'too_common');
    assert.equal(passwordProblem('password123', shipped), 'too_common');
  });
});
