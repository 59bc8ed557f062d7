/**
 * Email verification (issue 16; API.md, Eligibility and verified identity) against real PostgreSQL,
 * Redis and the stack's SMTP mail catcher: the code travels by mail, is kept only as an HMAC, and
 * once proven the voter's tokens carry `email_verified: true`.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { freePort } from '@onevote/stack';
import { waitFor } from '@onevote/stack/testing';
import { codesMailedTo, nextCode, smtpUrl } from './mail.ts';
import { aRegisteredVoter, decodeJwt, type Identity, type Shared, sharedStores, startIdentity } from './support.ts';

async function loggedIn(base: string) {
  const voter = await aRegisteredVoter(base);
  const tokens = (await voter.client.login(voter.email, voter.password)).body;
  const ask = () => voter.client.authorized('POST', '/v1/auth/email/verification', tokens.access_token);
  const verify = (code: unknown) => voter.client.authorized('POST', '/v1/auth/email/verify', tokens.access_token, { code });
  const me = async () => (await voter.client.authorized('GET', '/v1/auth/me', tokens.access_token)).body;
  return { ...voter, tokens, ask, verify, me };
}

describe('email verification', () => {
  let shared: Shared;
  let identity: Identity;

  before(async () => {
    shared = await sharedStores();
    identity = await startIdentity(shared, { SMTP_URL: smtpUrl, EMAIL_CODE_RESEND_SECONDS: 0 });
  });
  after(() => identity.stop());

  test('a mailed code verifies the address: /me says so and new tokens carry email_verified: true', async () => {
    const voter = await loggedIn(identity.base);
    assert.equal((await voter.ask()).status, 202);
    const code = await nextCode(voter.email, 1);

    // Only an HMAC of the code is stored, never the code or its plain hash.
    const [row] = await identity.sql`select code_hash from identity.email_codes where voter_id = ${voter.voterId}`;
    const stored = Buffer.from(row!.code_hash as Uint8Array);
    assert.notDeepEqual(stored, createHash('sha256').update(code).digest());
    assert.ok(!stored.toString('latin1').includes(code));

    const verified = await voter.verify(code);
    assert.equal(verified.status, 200);
    assert.deepEqual(verified.body, { emailVerified: true });
    assert.equal((await voter.me()).emailVerified, true);
    const refreshed = await voter.client.refresh(voter.tokens.refresh_token);
    assert.equal(decodeJwt(refreshed.body.access_token).payload.email_verified, true, 'refreshed token');
    const again = await voter.client.login(voter.email, voter.password);
    assert.equal(decodeJwt(again.body.access_token).payload.email_verified, true, 'new login');
    // The code is spent.
    assert.equal((await voter.verify(code)).body.code, 'invalid_code');
  });

  test('a wrong code is 400 invalid_code with the tries left; after 5 wrong codes even the right one is 429', async () => {
    const voter = await loggedIn(identity.base);
    await voter.ask();
    const code = await nextCode(voter.email, 1);
    const wrong = code === '000000' ? '000001' : '000000';
    for (let i = 1; i <= 5; i++) {
      const answer = await voter.verify(wrong);
      assert.equal(answer.status, 400);
      assert.equal(answer.body.code, 'invalid_code');
      if (i < 5) assert.match(String(answer.body.detail), new RegExp(`${5 - i} tr`));
    }
    const locked = await voter.verify(code);
    assert.equal(locked.status, 429);
    assert.equal(locked.body.code, 'rate_limited');
    assert.equal((await voter.me()).emailVerified, false, 'nothing verified');
    // A new code works.
    await voter.ask();
    assert.equal((await voter.verify(await nextCode(voter.email, 2))).status, 200);
  });

  test('a new code replaces the last; an expired code is refused; a code is good only for its voter', async () => {
    const voter = await loggedIn(identity.base);
    await voter.ask();
    const first = await nextCode(voter.email, 1);
    await voter.ask();
    const second = await nextCode(voter.email, 2);
    if (first !== second) assert.equal((await voter.verify(first)).body.code, 'invalid_code', 'replaced');

    const other = await loggedIn(identity.base);
    assert.equal((await other.verify(second)).body.code, 'invalid_code', 'no code was sent to the other voter');
    await other.ask();
    const othersCode = await nextCode(other.email, 1);
    if (othersCode !== second) assert.equal((await other.verify(second)).body.code, 'invalid_code', "another voter's code");

    // Fifteen minutes later (the clock moved in the database, not by waiting).
    await identity.sql`update identity.email_codes set expires_at = now() - interval '1 second' where voter_id = ${voter.voterId}`;
    const expired = await voter.verify(second);
    assert.equal(expired.status, 400);
    assert.equal(expired.body.code, 'invalid_code');
    assert.equal((await voter.me()).emailVerified, false);
  });

  test('bad input is 400 invalid_request and no token is 401; neither counts as an attempt', async () => {
    const voter = await loggedIn(identity.base);
    await voter.ask();
    const code = await nextCode(voter.email, 1);
    for (const bad of ['12345', '1234567', 'abcdef', 123456, null]) {
      const answer = await voter.verify(bad);
      assert.equal(answer.status, 400, JSON.stringify(bad));
      assert.equal(answer.body.code, 'invalid_request');
    }
    const extra = await voter.client.authorized('POST', '/v1/auth/email/verify', voter.tokens.access_token, { code, admin: true });
    assert.equal(extra.status, 400);
    assert.equal((await voter.client.call('POST', '/v1/auth/email/verification')).status, 401);
    assert.equal((await voter.client.call('POST', '/v1/auth/email/verify', { body: { code } })).status, 401);
    const [row] = await identity.sql`select attempts from identity.email_codes where voter_id = ${voter.voterId}`;
    assert.equal(row!.attempts, 0);
    assert.equal((await voter.verify(code)).status, 200);
  });
});

describe('asking for codes is limited', () => {
  let shared: Shared;
  const started: Identity[] = [];
  before(async () => {
    shared = await sharedStores();
  });
  after(async () => {
    for (const i of started) await i.stop();
  });
  const start = async (overrides: Parameters<typeof startIdentity>[1]) => {
    const identity = await startIdentity(shared, overrides);
    started.push(identity);
    return identity;
  };

  test('a second code within the cooldown is 429 with Retry-After, and the first code still works', async () => {
    const identity = await start({ SMTP_URL: smtpUrl, EMAIL_CODE_RESEND_SECONDS: 60 });
    const voter = await loggedIn(identity.base);
    assert.equal((await voter.ask()).status, 202);
    const soon = await voter.ask();
    assert.equal(soon.status, 429);
    assert.equal(soon.body.code, 'rate_limited');
    assert.ok(Number(soon.headers.get('retry-after')) >= 55);
    assert.equal((await codesMailedTo(voter.email)).length, 1);
    assert.equal((await voter.verify(await nextCode(voter.email, 1))).status, 200);
    await identity.stop();
    started.pop();
  });

  test('EMAIL_CODES_PER_HOUR codes per voter, then 429', async () => {
    const identity = await start({ SMTP_URL: smtpUrl, EMAIL_CODE_RESEND_SECONDS: 0, EMAIL_CODES_PER_HOUR: 2 });
    const voter = await loggedIn(identity.base);
    assert.equal((await voter.ask()).status, 202);
    assert.equal((await voter.ask()).status, 202);
    const third = await voter.ask();
    assert.equal(third.status, 429);
    await nextCode(voter.email, 2);
    assert.equal((await codesMailedTo(voter.email)).length, 2);
    await identity.stop();
    started.pop();
  });

  test('without SMTP_URL, or with the SMTP server unreachable, it is 503 and no code is left waiting', async () => {
    const none = await start({ SMTP_URL: '' });
    const voter = await loggedIn(none.base);
    const unavailable = await voter.ask();
    assert.equal(unavailable.status, 503);
    assert.equal(unavailable.body.code, 'unavailable');
    await none.stop();
    started.pop();

    const closedPort = await freePort();
    const down = await start({ SMTP_URL: `smtp://127.0.0.1:${closedPort}`, EMAIL_CODE_RESEND_SECONDS: 60 });
    const answer = await voter.ask();
    assert.equal(answer.status, 503);
    const rows = await down.sql`select 1 from identity.email_codes where voter_id = ${voter.voterId}`;
    assert.equal(rows.length, 0, 'the code that was never mailed is not kept (nor its cooldown)');
  });
});

describe('password reset by mailed code', () => {
  let shared: Shared;
  let identity: Identity;
  before(async () => {
    shared = await sharedStores();
    identity = await startIdentity(shared, { SMTP_URL: smtpUrl, EMAIL_CODE_RESEND_SECONDS: 0 });
  });
  after(() => identity.stop());

  const resetCodes = (email: string) => codesMailedTo(email, 'is your OneVote password reset code');

  test('the same 202 for a registered and an unknown address; only the registered one gets a code', async () => {
    const voter = await loggedIn(identity.base);
    const unknown = `nobody-${Date.now()}@example.org`;
    const known = await voter.client.call('POST', '/v1/auth/password/forgot', { body: { email: voter.email.toUpperCase() } });
    const nobody = await voter.client.call('POST', '/v1/auth/password/forgot', { body: { email: unknown } });
    assert.equal(known.status, 202);
    assert.equal(nobody.status, 202);
    assert.deepEqual(known.body, nobody.body);
    await waitFor('the reset code', async () => (await resetCodes(voter.email)).length === 1);
    assert.equal((await resetCodes(unknown)).length, 0);
    const bad = await voter.client.call('POST', '/v1/auth/password/forgot', { body: { email: 'not-an-address' } });
    assert.equal(bad.status, 400);
  });

  test('the code sets a new password, ends every session and verifies the address; the old password no longer works', async () => {
    const voter = await loggedIn(identity.base);
    await voter.client.call('POST', '/v1/auth/password/forgot', { body: { email: voter.email } });
    await waitFor('the reset code', async () => (await resetCodes(voter.email)).length === 1);
    const code = (await resetCodes(voter.email))[0]!;
    const newPassword = `new-${voter.password}`;

    const weak = await voter.client.call('POST', '/v1/auth/password/reset', { body: { email: voter.email, code, password: 'short' } });
    assert.equal(weak.status, 400);
    assert.equal(weak.body.code, 'weak_password');
    const wrong = await voter.client.call('POST', '/v1/auth/password/reset', {
      body: { email: voter.email, code: code === '000000' ? '000001' : '000000', password: newPassword },
    });
    assert.equal(wrong.body.code, 'invalid_code');
    assert.match(String(wrong.body.detail), /4 tries left/, 'the weak password cost no attempt');

    const done = await voter.client.call('POST', '/v1/auth/password/reset', { body: { email: voter.email, code, password: newPassword } });
    assert.equal(done.status, 204);
    assert.equal((await voter.client.refresh(voter.tokens.refresh_token)).status, 401, 'the old session ended');
    assert.equal((await voter.client.login(voter.email, voter.password)).status, 401, 'old password');
    const fresh = await voter.client.login(voter.email, newPassword);
    assert.equal(fresh.status, 200);
    assert.equal(decodeJwt(fresh.body.access_token).payload.email_verified, true);
    const again = await voter.client.call('POST', '/v1/auth/password/reset', { body: { email: voter.email, code, password: `${newPassword}-2` } });
    assert.equal(again.body.code, 'invalid_code', 'the code is spent');
  });

  test('an unknown address is refused like a wrong code; 5 wrong codes are 429', async () => {
    const voter = await loggedIn(identity.base);
    const unknown = await voter.client.call('POST', '/v1/auth/password/reset', {
      body: { email: `nobody-${Date.now()}@example.org`, code: '123456', password: 'a-long-enough-password' },
    });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.code, 'invalid_code');
    await voter.client.call('POST', '/v1/auth/password/forgot', { body: { email: voter.email } });
    await waitFor('the reset code', async () => (await resetCodes(voter.email)).length === 1);
    const code = (await resetCodes(voter.email))[0]!;
    const wrong = code === '000000' ? '000001' : '000000';
    for (let i = 0; i < 5; i++) {
      await voter.client.call('POST', '/v1/auth/password/reset', { body: { email: voter.email, code: wrong, password: 'a-long-enough-password' } });
    }
    const locked = await voter.client.call('POST', '/v1/auth/password/reset', { body: { email: voter.email, code, password: 'a-long-enough-password' } });
    assert.equal(locked.status, 429);
    assert.equal((await voter.client.login(voter.email, voter.password)).status, 200, 'the password did not change');
  });
});
