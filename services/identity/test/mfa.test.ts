/**
 * Authenticator-app second factor (issue 16: admin MFA, TOTP per RFC 6238 with otplib) against real
 * PostgreSQL and Redis: enrolment, logins that then need a code, `amr` in the tokens (RFC 8176).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { generate } from 'otplib';
import { aRegisteredVoter, decodeJwt, type Identity, sharedStores, startIdentity } from './support.ts';

/** The app's code for the step `steps` after the current one (codes are good once, per step). */
const codeAt = (secret: string, steps = 0) => generate({ secret, epoch: Math.floor(Date.now() / 1000) + steps * 30 });

describe('TOTP second factor', () => {
  let identity: Identity;
  before(async () => {
    identity = await startIdentity(await sharedStores());
  });
  after(() => identity.stop());

  async function enrolled() {
    const voter = await aRegisteredVoter(identity.base);
    const tokens = (await voter.client.login(voter.email, voter.password)).body;
    const start = await voter.client.authorized<{ secret: string; otpauthUri: string }>('POST', '/v1/auth/mfa/totp', tokens.access_token);
    assert.equal(start.status, 200);
    return { ...voter, tokens, secret: start.body.secret, otpauthUri: start.body.otpauthUri };
  }

  test('set-up: a secret and an otpauth URI, stored encrypted; a wrong code is 400; the right one turns it on', async () => {
    const voter = await enrolled();
    assert.match(voter.otpauthUri, /^otpauth:\/\/totp\//);
    assert.ok(voter.otpauthUri.includes(voter.secret));
    const [row] = await identity.sql`select secret_encrypted, confirmed_at from identity.totp_factors where voter_id = ${voter.voterId}`;
    assert.ok(!Buffer.from(row!.secret_encrypted).toString('latin1').includes(voter.secret), 'encrypted at rest');
    assert.equal(row!.confirmed_at, null);

    // Until confirmed, logins need no code.
    assert.equal((await voter.client.login(voter.email, voter.password)).status, 200);
    const code = await codeAt(voter.secret);
    const wrong = await voter.client.authorized('POST', '/v1/auth/mfa/totp/confirm', voter.tokens.access_token, {
      code: code === '000000' ? '000001' : '000000',
    });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.code, 'invalid_code');
    const bad = await voter.client.authorized('POST', '/v1/auth/mfa/totp/confirm', voter.tokens.access_token, { code: '12ab56' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, 'invalid_request');
    const ok = await voter.client.authorized('POST', '/v1/auth/mfa/totp/confirm', voter.tokens.access_token, { code });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body, { totp: true });
    const me = await voter.client.authorized('GET', '/v1/auth/me', voter.tokens.access_token);
    assert.deepEqual(me.body.mfa, { totp: true });
    const again = await voter.client.authorized('POST', '/v1/auth/mfa/totp', voter.tokens.access_token);
    assert.equal(again.status, 409, 'a second set-up cannot replace the factor');
  });

  test('then a login needs a current code: without or with a wrong one 403 mfa_required; with it amr is pwd, otp, mfa', async () => {
    const voter = await enrolled();
    await voter.client.authorized('POST', '/v1/auth/mfa/totp/confirm', voter.tokens.access_token, { code: await codeAt(voter.secret) });

    const none = await voter.client.login(voter.email, voter.password);
    assert.equal(none.status, 403);
    assert.equal(none.body.code, 'mfa_required');
    const next = await codeAt(voter.secret, 1);
    const wrong = await voter.client.login(voter.email, voter.password, { otp: next === '000000' ? '000001' : '000000' });
    assert.equal(wrong.status, 403);
    assert.equal(wrong.body.code, 'mfa_required');
    const wrongPassword = await voter.client.login(voter.email, `${voter.password}x`, { otp: next });
    assert.equal(wrongPassword.status, 401, 'the code is not looked at before the password is right');

    const ok = await voter.client.login(voter.email, voter.password, { otp: next });
    assert.equal(ok.status, 200);
    assert.deepEqual(decodeJwt(ok.body.access_token).payload.amr, ['pwd', 'otp', 'mfa']);
    const replayed = await voter.client.login(voter.email, voter.password, { otp: next });
    assert.equal(replayed.status, 403, 'a code is good once');

    const refreshed = await voter.client.refresh(ok.body.refresh_token);
    assert.deepEqual(decodeJwt(refreshed.body.access_token).payload.amr, ['pwd', 'otp', 'mfa'], 'refreshing keeps what the login proved');
  });
});
