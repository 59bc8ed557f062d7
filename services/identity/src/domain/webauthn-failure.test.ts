import assert from 'node:assert/strict';
import { test } from 'node:test';
import { webauthnFailure } from './webauthn-failure.ts';

test('a refused response is described without quoting the values SimpleWebAuthn compared', () => {
  const secretish = 'Unexpected authentication response challenge "abc123", expected "def456"';
  const reason = webauthnFailure(new Error(secretish));
  assert.equal(reason, 'the response is for another challenge');
  assert.ok(!reason.includes('abc123'));
  assert.match(webauthnFailure(new Error('Response counter value 3 was lower than expected 5')), /counter/);
  assert.match(webauthnFailure(new Error('User verification required, but user could not be verified')), /verify the user/);
  assert.match(webauthnFailure('weird'), /could not be parsed/);
});
