/**
 * Admin MFA end to end (issue 16) on the whole stack with REQUIRE_ADMIN_MFA=true: the seeded admin,
 * password only, is refused admin calls (403 mfa_required) until it sets up an authenticator app
 * and logs in with its code; voting stays password-only.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { Stack } from '@onevote/stack';
import { startTestStack } from '@onevote/stack/testing';
import { generate } from 'otplib';
import { Client, decodeJwt } from './support.ts';

const anElection = {
  title: 'MFA: which option?',
  questions: [{ title: 'Which?', options: [{ label: 'A' }, { label: 'B' }] }],
  resultsVisibility: 'live',
};

const stack: Stack = await startTestStack({ seed: true, extraEnv: { REQUIRE_ADMIN_MFA: 'true' } });
after(() => stack.stop());

describe('admin calls need a second factor when REQUIRE_ADMIN_MFA=true', () => {
  test('password only: 403 mfa_required; after TOTP set-up and a login with its code the same call succeeds', async () => {
    const admin = new Client(stack.gatewayUrl);
    const { email, password } = stack.admin;
    const first = (await admin.login(email, password)).body;
    assert.deepEqual(decodeJwt(first.access_token).payload.amr, ['pwd']);
    const refused = await admin.authorized('POST', '/v1/elections', first.access_token, anElection);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.code, 'mfa_required');

    // Setting up the app is a call of one's own account, allowed with a password.
    const setup = await admin.authorized<{ secret: string }>('POST', '/v1/auth/mfa/totp', first.access_token);
    assert.equal(setup.status, 200);
    const now = Math.floor(Date.now() / 1000);
    const confirm = await admin.authorized('POST', '/v1/auth/mfa/totp/confirm', first.access_token, {
      code: await generate({ secret: setup.body.secret, epoch: now }),
    });
    assert.equal(confirm.status, 200);

    const withoutCode = await admin.login(email, password);
    assert.equal(withoutCode.status, 403);
    assert.equal(withoutCode.body.code, 'mfa_required');
    const second = await admin.login(email, password, { otp: await generate({ secret: setup.body.secret, epoch: now + 30 }) });
    assert.equal(second.status, 200);
    assert.deepEqual(decodeJwt(second.body.access_token).payload.amr, ['pwd', 'otp', 'mfa']);
    const created = await admin.authorized('POST', '/v1/elections', second.body.access_token, anElection);
    assert.equal(created.status, 201, JSON.stringify(created.body));
  });
});
