import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { CodeHasher, newCode } from './email-code.ts';

const key = randomBytes(32).toString('base64url');

test('codes are 6 digits, leading zeros included, and vary', () => {
  const codes = Array.from({ length: 2000 }, newCode);
  assert.ok(codes.every((c) => /^[0-9]{6}$/.test(c)));
  assert.ok(new Set(codes).size > 1990);
  assert.ok(codes.some((c) => c.startsWith('0')), 'leading zeros are kept');
});

test('a stored hash matches its code only, for its voter and purpose only, under its key only', () => {
  const hasher = new CodeHasher(key);
  const stored = hasher.hash('voter-1', 'verify_email', '042917');
  assert.equal(stored.length, 32);
  assert.ok(hasher.matches(stored, 'voter-1', 'verify_email', '042917'));
  assert.ok(!hasher.matches(stored, 'voter-1', 'verify_email', '042918'));
  assert.ok(!hasher.matches(stored, 'voter-2', 'verify_email', '042917'));
  assert.ok(!new CodeHasher(randomBytes(32).toString('base64url')).matches(stored, 'voter-1', 'verify_email', '042917'));
  assert.ok(!hasher.matches(stored.subarray(0, 16), 'voter-1', 'verify_email', '042917'));
});
