/**
 * Changing the email address (re-verification) against real PostgreSQL, Redis and the stack's SMTP
 * mail catcher: the password again, a code mailed to the new address, the switch in one
 * transaction, a notice to the old address, and refusals that change nothing.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { generate } from 'otplib';
import { codesMailedTo, mailTo, nextCode, smtpUrl } from './mail.ts';
import { anEmail, aRegisteredVoter, Client, decodeJwt, type Identity, type Shared, sharedStores, startIdentity } from './support.ts';

const codeSubject = 'is your OneVote code to confirm your new address';
const changedSubject = 'The address of your OneVote account was changed';
const alreadyRegisteredSubject = 'This address already has a OneVote account';

async function loggedIn(base: string) {
  const voter = await aRegisteredVoter(base);
  const tokens = (await voter.client.login(voter.email, voter.password)).body;
  const change = (body: unknown) => voter.client.authorized('POST', '/v1/auth/email/change', tokens.access_token, body);
  const confirm = (code: unknown) => voter.client.authorized('POST', '/v1/auth/email/change/confirm', tokens.access_token, { code });
  const me = async () => (await voter.client.authorized('GET', '/v1/auth/me', tokens.access_token)).body;
  return { ...voter, tokens, change, confirm, me };
}

const otherThan = (code: string) => (code === '000000' ? '000001' : '000000');

/** The voter's pending email change, if any: the address its code was mailed to. */
const changeCodes = (identity: Identity, voterId: string) =>
  identity.sql<{ sent_to: string }[]>`select sent_to from identity.email_codes where voter_id = ${voterId} and purpose = 'change_email'`;

describe('changing the email address', () => {
  let shared: Shared;
  let identity: Identity;
  before(async () => {
    shared = await sharedStores();
    identity = await startIdentity(shared, { SMTP_URL: smtpUrl, EMAIL_CODE_RESEND_SECONDS: 0 });
  });
  after(() => identity.stop());

  /** What a refusal must leave as it was: the account row, and no code mailed or waiting. */
  const accountRow = async (voterId: string) =>
    (await identity.sql`select email, email_verified_at, password_hash from identity.voters where id = ${voterId}`)[0];

  test('the code mailed to the new address switches the account to it, verified; the old address is told; /me, refresh and login follow', async () => {
    const voter = await loggedIn(identity.base);
    const newEmail = anEmail();
    const asked = await voter.change({ email: `  ${newEmail.toUpperCase()} `, password: voter.password });
    assert.equal(asked.status, 202);
    assert.equal(asked.headers.get('cache-control'), 'no-store');
    const code = await nextCode(newEmail, 1, codeSubject);

    // Until the code comes back nothing changed; the code is kept only as an HMAC, with its address.
    assert.equal((await voter.me()).email, voter.email);
    assert.equal((await new Client(identity.base).login(newEmail, voter.password)).status, 401);
    const [row] = await identity.sql`select code_hash, sent_to from identity.email_codes where voter_id = ${voter.voterId} and purpose = 'change_email'`;
    assert.equal(row!.sent_to, newEmail, 'normalised as at registration');
    assert.notDeepEqual(Buffer.from(row!.code_hash as Uint8Array), createHash('sha256').update(code).digest());

    const confirmed = await voter.confirm(code);
    assert.equal(confirmed.status, 200);
    assert.deepEqual(confirmed.body, { email: newEmail, emailVerified: true });
    const me = await voter.me();
    assert.equal(me.email, newEmail);
    assert.equal(me.emailVerified, true);

    const refreshed = await voter.client.refresh(voter.tokens.refresh_token);
    assert.equal(refreshed.status, 200, 'the session stays signed in');
    assert.equal(decodeJwt(refreshed.body.access_token).payload.email_verified, true, 'refreshed token');
    const old = await new Client(identity.base).login(voter.email, voter.password);
    assert.equal(old.status, 401);
    assert.equal(old.body.code, 'invalid_credentials');
    const fresh = await new Client(identity.base).login(newEmail, voter.password);
    assert.equal(fresh.status, 200);
    assert.equal(decodeJwt(fresh.body.access_token).payload.email_verified, true, 'new login');
    assert.equal(decodeJwt(fresh.body.access_token).payload.sub, voter.voterId, 'the same voter');

    // The old address gets a notice with no code, naming the new address only masked.
    const [notice] = (await mailTo(voter.email)).filter((m) => m.subject === changedSubject);
    assert.ok(notice, 'the old address was told');
    assert.doesNotMatch(notice.text, /\b\d{6}\b/);
    assert.ok(!notice.text.includes(newEmail));
    assert.ok(notice.text.includes(`${newEmail[0]}***@example.org`));

    assert.equal((await voter.confirm(code)).body.code, 'invalid_code', 'the code is spent');
    assert.equal((await new Client(identity.base).register(voter.email, voter.password)).status, 201, 'the old address is free');
  });

  test('the password is asked again: a wrong one is 401 invalid_credentials; bad input is 400; no token is 401; none mails a code or changes anything', async () => {
    const voter = await loggedIn(identity.base);
    const before = await accountRow(voter.voterId);
    const target = anEmail();

    const wrong = await voter.change({ email: target, password: `${voter.password}x` });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.code, 'invalid_credentials');
    assert.match(String(wrong.headers.get('content-type')), /application\/problem\+json/);
    for (const body of [
      { email: 'not-an-address', password: voter.password },
      { email: `  ${voter.email.toUpperCase()}`, password: voter.password },
      { email: target },
      { password: voter.password },
      { email: target, password: voter.password, admin: true },
      { email: target, password: voter.password, otp: '12ab56' },
      { email: 'x'.repeat(250) + '@example.org', password: voter.password },
    ]) {
      const answer = await voter.change(body);
      assert.equal(answer.status, 400, JSON.stringify(body));
      assert.equal(answer.body.code, 'invalid_request', JSON.stringify(body));
    }
    assert.equal((await voter.client.call('POST', '/v1/auth/email/change', { body: { email: target, password: voter.password } })).status, 401);
    assert.equal((await voter.client.call('POST', '/v1/auth/email/change/confirm', { body: { code: '123456' } })).status, 401);
    for (const code of ['12345', '1234567', 'abcdef', 123456, null]) {
      assert.equal((await voter.confirm(code)).status, 400, JSON.stringify(code));
    }
    const nothing = await voter.confirm('123456');
    assert.equal(nothing.status, 400);
    assert.equal(nothing.body.code, 'invalid_code', 'no change is waiting');

    assert.deepEqual(await accountRow(voter.voterId), before);
    assert.equal((await changeCodes(identity, voter.voterId)).length, 0);
    assert.equal((await mailTo(target)).length, 0, 'nothing was mailed to the new address');
  });

  test('a wrong code is 400 invalid_code with the tries left; after 5, even the right one is 429; a new request starts afresh', async () => {
    const voter = await loggedIn(identity.base);
    const before = await accountRow(voter.voterId);
    const newEmail = anEmail();
    await voter.change({ email: newEmail, password: voter.password });
    const code = await nextCode(newEmail, 1, codeSubject);
    for (let i = 1; i <= 5; i++) {
      const answer = await voter.confirm(otherThan(code));
      assert.equal(answer.status, 400);
      assert.equal(answer.body.code, 'invalid_code');
      if (i < 5) assert.match(String(answer.body.detail), new RegExp(`${5 - i} tr`));
    }
    const locked = await voter.confirm(code);
    assert.equal(locked.status, 429);
    assert.equal(locked.body.code, 'rate_limited');
    assert.deepEqual(await accountRow(voter.voterId), before, 'nothing changed');
    assert.equal((await mailTo(voter.email)).filter((m) => m.subject === changedSubject).length, 0, 'and nobody was told it did');

    // A new request (here for another address) replaces the spent code.
    const second = anEmail();
    assert.equal((await voter.change({ email: second, password: voter.password })).status, 202);
    const secondCode = await nextCode(second, 1, codeSubject);
    assert.deepEqual((await voter.confirm(secondCode)).body, { email: second, emailVerified: true });
  });

  test('a code is good only for its voter, and one asked for earlier stops working when a new one is asked for', async () => {
    const voter = await loggedIn(identity.base);
    const first = anEmail();
    await voter.change({ email: first, password: voter.password });
    const firstCode = await nextCode(first, 1, codeSubject);
    const second = anEmail();
    await voter.change({ email: second, password: voter.password });
    const secondCode = await nextCode(second, 1, codeSubject);
    if (firstCode !== secondCode) assert.equal((await voter.confirm(firstCode)).body.code, 'invalid_code', 'replaced');

    const other = await loggedIn(identity.base);
    assert.equal((await other.confirm(secondCode)).body.code, 'invalid_code', "another voter's code");
    assert.equal((await other.me()).email, other.email);
    assert.deepEqual((await voter.confirm(secondCode)).body, { email: second, emailVerified: true }, 'the latest request wins');
  });

  test('an address that has an account already: the same 202, and that mailbox gets a notice instead of a code; nothing changes', async () => {
    const voter = await loggedIn(identity.base);
    const owner = await aRegisteredVoter(identity.base);
    const before = await accountRow(voter.voterId);
    const ownersRow = await accountRow(owner.voterId);

    const taken = await voter.change({ email: owner.email.toUpperCase(), password: voter.password });
    const someone = await loggedIn(identity.base);
    const freeAddress = anEmail();
    const genuine = await someone.change({ email: freeAddress, password: someone.password });
    assert.equal(taken.status, 202);
    assert.equal(genuine.status, 202);
    assert.deepEqual(taken.body, genuine.body, 'the caller cannot tell the two apart');

    const [notice] = (await mailTo(owner.email)).filter((m) => m.subject === alreadyRegisteredSubject);
    assert.ok(notice, 'the owner of the address is told');
    assert.doesNotMatch(notice.text, /\b\d{6}\b/, 'with no code');
    assert.equal((await codesMailedTo(owner.email, codeSubject)).length, 0);
    await nextCode(freeAddress, 1, codeSubject);

    assert.equal((await voter.confirm('123456')).body.code, 'invalid_code');
    assert.deepEqual(await accountRow(voter.voterId), before);
    assert.deepEqual(await accountRow(owner.voterId), ownersRow);
    assert.equal((await owner.client.login(owner.email, owner.password)).status, 200);
  });

  test('an address registered by someone else between request and confirm: 409 email_taken, and nothing changes', async () => {
    const voter = await loggedIn(identity.base);
    const before = await accountRow(voter.voterId);
    const newEmail = anEmail();
    await voter.change({ email: newEmail, password: voter.password });
    const code = await nextCode(newEmail, 1, codeSubject);
    const squatter = new Client(identity.base);
    assert.equal((await squatter.register(newEmail, 'another long password')).status, 201);

    const refused = await voter.confirm(code);
    assert.equal(refused.status, 409);
    assert.equal(refused.body.code, 'email_taken');
    assert.deepEqual(await accountRow(voter.voterId), before, 'the address and its verification are as they were');
    assert.deepEqual((await changeCodes(identity, voter.voterId)).map((r) => r.sent_to), [newEmail], 'the code is not spent either');
    assert.equal((await mailTo(voter.email)).filter((m) => m.subject === changedSubject).length, 0, 'no notice');
    assert.equal((await voter.client.login(voter.email, voter.password)).status, 200);
    assert.equal((await squatter.login(newEmail, 'another long password')).status, 200);
  });

  test('the switch drops the codes mailed to the old address: a pending password reset no longer works', async () => {
    const voter = await loggedIn(identity.base);
    await voter.client.call('POST', '/v1/auth/password/forgot', { body: { email: voter.email } });
    const resetCode = await nextCode(voter.email, 1, 'is your OneVote password reset code');
    const newEmail = anEmail();
    await voter.change({ email: newEmail, password: voter.password });
    assert.equal((await voter.confirm(await nextCode(newEmail, 1, codeSubject))).status, 200);

    for (const email of [voter.email, newEmail]) {
      const reset = await voter.client.call('POST', '/v1/auth/password/reset', { body: { email, code: resetCode, password: 'a brand new password' } });
      assert.equal(reset.status, 400, email);
      assert.equal(reset.body.code, 'invalid_code', email);
    }
    assert.equal((await voter.client.login(newEmail, voter.password)).status, 200, 'the password is unchanged');
  });

  test('two confirmations with the right code at once: one switches, the other is invalid_code', async () => {
    const voter = await loggedIn(identity.base);
    const newEmail = anEmail();
    await voter.change({ email: newEmail, password: voter.password });
    const code = await nextCode(newEmail, 1, codeSubject);
    const answers = await Promise.all([voter.confirm(code), voter.confirm(code)]);
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 400]);
    assert.equal(answers.find((a) => a.status === 400)!.body.code, 'invalid_code');
    assert.equal((await mailTo(voter.email)).filter((m) => m.subject === changedSubject).length, 1, 'one notice');
  });

  test('an account with an authenticator app also gives its code (403 mfa_required without it)', async () => {
    const voter = await loggedIn(identity.base);
    const { secret } = (await voter.client.authorized<{ secret: string }>('POST', '/v1/auth/mfa/totp', voter.tokens.access_token)).body;
    const now = Math.floor(Date.now() / 1000);
    await voter.client.authorized('POST', '/v1/auth/mfa/totp/confirm', voter.tokens.access_token, { code: await generate({ secret, epoch: now }) });
    const newEmail = anEmail();
    const without = await voter.change({ email: newEmail, password: voter.password });
    assert.equal(without.status, 403);
    assert.equal(without.body.code, 'mfa_required');
    assert.equal((await changeCodes(identity, voter.voterId)).length, 0);
    const withCode = await voter.change({ email: newEmail, password: voter.password, otp: await generate({ secret, epoch: now + 30 }) });
    assert.equal(withCode.status, 202);
    assert.equal((await voter.confirm(await nextCode(newEmail, 1, codeSubject))).status, 200);
  });
});

describe('asking for email-change codes is limited', () => {
  let shared: Shared;
  let identity: Identity;
  before(async () => {
    shared = await sharedStores();
    identity = await startIdentity(shared, { SMTP_URL: smtpUrl, EMAIL_CODE_RESEND_SECONDS: 60, EMAIL_CODES_PER_HOUR: 2 });
  });
  after(() => identity.stop());

  test('a second request within the cooldown is 429 with Retry-After, for a taken address too; the first code still works', async () => {
    const voter = await loggedIn(identity.base);
    const owner = await aRegisteredVoter(identity.base);
    const newEmail = anEmail();
    assert.equal((await voter.change({ email: newEmail, password: voter.password })).status, 202);
    for (const email of [anEmail(), owner.email]) {
      const soon = await voter.change({ email, password: voter.password });
      assert.equal(soon.status, 429, email);
      assert.equal(soon.body.code, 'rate_limited');
      assert.ok(Number(soon.headers.get('retry-after')) >= 55);
    }
    assert.equal((await mailTo(owner.email)).length, 0);
    assert.equal((await voter.confirm(await nextCode(newEmail, 1, codeSubject))).status, 200);
  });

  test('EMAIL_CODES_PER_HOUR codes per voter, then 429; and 10 password checks per 15 minutes', async () => {
    const voter = await loggedIn(identity.base);
    for (let i = 0; i < 2; i++) {
      assert.equal((await voter.change({ email: anEmail(), password: voter.password })).status, 202);
      // Past the cooldown (the clock moved in the database, not by waiting).
      await identity.sql`update identity.email_codes set sent_at = now() - interval '1 hour' where voter_id = ${voter.voterId}`;
    }
    const third = await voter.change({ email: anEmail(), password: voter.password });
    assert.equal(third.status, 429);
    assert.equal(third.body.code, 'rate_limited');

    const guesser = await loggedIn(identity.base);
    // Password checks are counted per voter: this one has its own 10.
    for (let i = 0; i < 10; i++) {
      assert.equal((await guesser.change({ email: anEmail(), password: `guess-${i}` })).status, 401);
    }
    const limited = await guesser.change({ email: anEmail(), password: guesser.password });
    assert.equal(limited.status, 429, 'even the right password, once the checks are used up');
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
    assert.equal((await changeCodes(identity, guesser.voterId)).length, 0);
  });
});
