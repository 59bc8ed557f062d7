import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { eligibilityRefusal } from './eligibility.ts';

const verified = { emailVerified: true };
const unverified = { emailVerified: false };

describe('eligibilityRefusal', () => {
  test('open (and a config from before eligibility existed) admits every voter', () => {
    for (const eligibility of ['open', undefined] as const) {
      assert.equal(eligibilityRefusal(eligibility, verified), undefined);
      assert.equal(eligibilityRefusal(eligibility, unverified), undefined);
    }
  });

  test('verified_email admits only a voter whose token says the email is verified', () => {
    assert.equal(eligibilityRefusal('verified_email', verified), undefined);
    assert.equal(eligibilityRefusal('verified_email', unverified), 'email_not_verified');
  });

  test('roll: an unverified voter is told to verify; a verified one is looked up on the roll by the hash of the address', () => {
    assert.equal(eligibilityRefusal('roll', { ...unverified, emailHash: 'AAAAAAAAAAAAAAAAAAAAAA' }), 'email_not_verified');
    assert.equal(eligibilityRefusal('roll', { ...verified, emailHash: 'AAAAAAAAAAAAAAAAAAAAAA' }), 'roll');
  });

  test('roll: a verified address without its hash (an issuer that makes none) cannot be on a roll', () => {
    assert.equal(eligibilityRefusal('roll', verified), 'not_eligible');
  });

  test('an eligibility this build does not know refuses', () => {
    assert.equal(eligibilityRefusal('members_only' as never, verified), 'not_eligible');
  });
});
