import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isValidEmail, maskEmail, normaliseEmail } from './email.ts';

describe('emails', () => {
  test('are normalised by trimming and lower-casing, so case variants are one voter', () => {
    assert.equal(normaliseEmail('  Ann.Lee@Example.ORG \n'), 'ann.lee@example.org');
    assert.equal(normaliseEmail('ANN@X.ORG'), normaliseEmail('ann@x.org'));
  });

  test('ordinary addresses are valid', () => {
    for (const email of ['a@b.io', 'ann.lee+vote@mail.example.org', 'jörg@bücher.de', 'x_y-z@a-b.co.uk']) {
      assert.equal(isValidEmail(email), true, email);
    }
  });

  test('malformed addresses are refused', () => {
    for (const email of [
      'plain',
      '@example.org',
      'ann@',
      'ann@localhost',
      'ann@@example.org',
      'a@b@example.org',
      'ann lee@example.org',
      'ann@exa mple.org',
      '.ann@example.org',
      'ann..lee@example.org',
      'ann@-example.org',
      'ann@example.c',
      'ann@example.123',
      `${'a'.repeat(65)}@example.org`,
      `ann@${'a'.repeat(250)}.org`,
    ]) {
      assert.equal(isValidEmail(email), false, email);
    }
  });

  test('masking keeps the first letter and the domain only', () => {
    assert.equal(maskEmail('ann.lee@example.org'), 'a***@example.org');
    assert.equal(maskEmail('nonsense'), '***');
  });
});
