/**
 * Passkeys (issue 16: WebAuthn with @simplewebauthn/server) against real PostgreSQL and Redis, the
 * ceremonies driven by a software authenticator (P-256, attestation `none`): registration with user
 * verification, usernameless login with the DPoP proof and ALTCHA of a password login, the counter,
 * single-use challenges, refusals that change nothing, list and removal.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type {
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { SoftwareAuthenticator } from './software-authenticator.ts';
import { aRegisteredVoter, Client, decodeJwt, type Identity, sharedStores, startIdentity, type TokenAnswer } from './support.ts';

const origin = 'http://localhost:5173';

interface PasskeyAnswer {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  backedUp: boolean;
  transports: string[];
}

describe('passkeys', () => {
  let identity: Identity;
  before(async () => {
    identity = await startIdentity(await sharedStores(), {
      WEBAUTHN_RP_ID: 'localhost',
      WEBAUTHN_ORIGINS: `${origin},https://vote.example`,
      LOGIN_FAILURE_ALLOWANCE_PER_ACCOUNT_NETWORK: 3,
    });
  });
  after(() => identity.stop());

  /** A signed-in voter and their authenticator. */
  async function aVoterWithTokens() {
    const voter = await aRegisteredVoter(identity.base);
    const login = await voter.client.login(voter.email, voter.password);
    assert.equal(login.status, 200);
    return { ...voter, tokens: login.body, authenticator: new SoftwareAuthenticator(origin) };
  }

  async function registrationOptions(client: Client, token: string) {
    const answer = await client.authorized<PublicKeyCredentialCreationOptionsJSON>('POST', '/v1/auth/passkeys/registration/options', token);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body;
  }

  async function register(voter: Awaited<ReturnType<typeof aVoterWithTokens>>, name?: string) {
    const options = await registrationOptions(voter.client, voter.tokens.access_token);
    const response = voter.authenticator.create(options);
    return voter.client.authorized<PasskeyAnswer & { code?: string; detail?: string }>(
      'POST',
      '/v1/auth/passkeys/registration/verify',
      voter.tokens.access_token,
      { response, ...(name ? { name } : {}) },
    );
  }

  async function loginOptions(client: Client) {
    const answer = await client.call<PublicKeyCredentialRequestOptionsJSON>('POST', '/v1/auth/passkeys/login/options', { body: {} });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body;
  }

  async function passkeyLogin(client: Client, response: unknown, options: { altcha?: string; dpop?: string | null } = {}) {
    const dpop = options.dpop === undefined ? await client.proof('POST', '/v1/auth/passkeys/login') : options.dpop;
    return client.call<TokenAnswer & { code?: string; detail?: string; challengeLevel?: number }>('POST', '/v1/auth/passkeys/login', {
      body: { response, altcha: options.altcha ?? (await client.altcha({ purpose: 'login' })) },
      headers: dpop === null ? {} : { dpop },
    });
  }

  const storedPasskeys = (voterId: string) =>
    identity.sql<{ id: string; counter: string; last_used_at: Date | null; public_key: Buffer }[]>`
      select id, counter, last_used_at, public_key from identity.passkeys where voter_id = ${voterId}`;

  test('registration: options need a signed-in voter, ask for a discoverable credential with user verification, and exclude the voter\'s passkeys', async () => {
    const voter = await aVoterWithTokens();
    const anonymous = await new Client(identity.base).call('POST', '/v1/auth/passkeys/registration/options', { body: {} });
    assert.equal(anonymous.status, 401);

    const options = await registrationOptions(voter.client, voter.tokens.access_token);
    assert.equal(options.rp.id, 'localhost');
    assert.equal(options.authenticatorSelection?.userVerification, 'required');
    assert.equal(options.authenticatorSelection?.residentKey, 'required');
    assert.equal(options.attestation, 'none');
    assert.deepEqual(options.excludeCredentials, []);
    assert.equal(Buffer.from(options.user.id, 'base64url').length, 16, 'the user handle is the voter id, not the email');

    const created = await voter.client.authorized<PasskeyAnswer>('POST', '/v1/auth/passkeys/registration/verify', voter.tokens.access_token, {
      response: voter.authenticator.create(options),
      name: 'My laptop',
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.name, 'My laptop');
    assert.equal(created.body.lastUsedAt, null);
    assert.deepEqual(created.body.transports, ['internal']);
    const [row] = await storedPasskeys(voter.voterId);
    assert.equal(row!.public_key.length > 60, true, 'the COSE public key is kept');

    const again = await registrationOptions(voter.client, voter.tokens.access_token);
    assert.deepEqual(again.excludeCredentials?.map((c) => c.id), [voter.authenticator.credentials[0]!.id.toString('base64url')]);
    assert.throws(() => voter.authenticator.create(again), /InvalidStateError/, 'the authenticator refuses a second one for this account');

    const list = await voter.client.authorized<{ passkeys: PasskeyAnswer[] }>('GET', '/v1/auth/passkeys', voter.tokens.access_token);
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.passkeys.map((p) => p.id), [created.body.id]);
  });

  test('a registration without user verification, for another origin, replayed or malformed is 400 and stores nothing', async () => {
    const voter = await aVoterWithTokens();
    const verify = (response: unknown) =>
      voter.client.authorized<{ code: string; detail: string }>('POST', '/v1/auth/passkeys/registration/verify', voter.tokens.access_token, { response });
    const fresh = async () => registrationOptions(voter.client, voter.tokens.access_token);

    const noUv = await verify(new SoftwareAuthenticator(origin).create(await fresh(), { userVerified: false }));
    assert.equal(noUv.status, 400);
    assert.equal(noUv.body.code, 'invalid_passkey');
    assert.match(noUv.body.detail, /verify the user/);

    const elsewhere = await verify(new SoftwareAuthenticator('https://evil.example').create(await fresh()));
    assert.equal(elsewhere.status, 400);
    assert.match(elsewhere.body.detail, /another origin/);
    assert.ok(!elsewhere.body.detail.includes('evil.example'), 'SimpleWebAuthn\'s message, quoting values, is not passed on');

    const options = await fresh();
    const good = new SoftwareAuthenticator(origin).create(options);
    const wrongType = await verify({ ...good, response: { ...good.response, clientDataJSON: new SoftwareAuthenticator(origin).create(options, { type: 'webauthn.get' }).response.clientDataJSON } });
    assert.equal(wrongType.status, 400);
    const spent = await verify(good);
    assert.equal(spent.status, 400, 'the options\' challenge was spent by the failed attempt');
    assert.match(spent.body.detail, /no passkey set-up is under way/);

    await fresh();
    const malformed = await verify({ id: 'x', rawId: 'x', type: 'public-key', response: {} });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.code, 'invalid_request');
    const notBase64 = await verify({ ...good, id: 'not base64url!' });
    assert.equal(notBase64.body.code, 'invalid_request');

    assert.equal((await storedPasskeys(voter.voterId)).length, 0, 'nothing stored');
  });

  test('login: usernameless, with the DPoP proof and ALTCHA of a password login, the same token pair, amr hwk, user, mfa, and the counter moves on', async () => {
    const voter = await aVoterWithTokens();
    assert.equal((await register(voter)).status, 201);
    const browser = new Client(identity.base);

    const options = await loginOptions(browser);
    assert.equal(options.rpId, 'localhost');
    assert.equal(options.userVerification, 'required');
    assert.equal(options.allowCredentials, undefined, 'no email asked, no credentials named');

    const login = await passkeyLogin(browser, voter.authenticator.get(options));
    assert.equal(login.status, 200, JSON.stringify(login.body));
    assert.equal(login.body.token_type, 'DPoP');
    assert.equal(login.headers.get('cache-control'), 'no-store');
    const claims = decodeJwt(login.body.access_token).payload;
    assert.equal(claims.sub, voter.voterId);
    assert.deepEqual(claims.amr, ['hwk', 'user', 'mfa']);
    assert.equal((claims.cnf as { jkt: string }).jkt, (await browser.key).jkt, 'bound to the DPoP key of the proof');

    const me = await browser.authorized<{ voterId: string }>('GET', '/v1/auth/me', login.body.access_token);
    assert.equal(me.body.voterId, voter.voterId);
    const refreshed = await browser.refresh(login.body.refresh_token);
    assert.equal(refreshed.status, 200);
    assert.deepEqual(decodeJwt(refreshed.body.access_token).payload.amr, ['hwk', 'user', 'mfa'], 'refreshing keeps what the login proved');
    const sessions = await browser.authorized<{ sessions: { amr: string[]; current: boolean }[] }>('GET', '/v1/auth/sessions', refreshed.body.access_token);
    assert.deepEqual(sessions.body.sessions.find((s) => s.current)?.amr, ['hwk', 'user', 'mfa']);

    const [row] = await storedPasskeys(voter.voterId);
    assert.equal(Number(row!.counter), 1);
    assert.ok(row!.last_used_at instanceof Date);
  });

  test('a replayed or made-up challenge, a lower counter, no user verification, another origin or another user handle is 400 invalid_passkey and changes nothing', async () => {
    const voter = await aVoterWithTokens();
    await register(voter);
    const browser = new Client(identity.base);
    const first = voter.authenticator.get(await loginOptions(browser));
    assert.equal((await passkeyLogin(browser, first)).status, 200);
    const refusals: { name: string; status: number; code?: string; detail?: string }[] = [];
    const attempt = async (name: string, response: unknown) => {
      const answer = await passkeyLogin(new Client(identity.base), response);
      refusals.push({ name, status: answer.status, code: answer.body.code, detail: answer.body.detail });
    };

    await attempt('replayed', first);
    await attempt('made-up challenge', voter.authenticator.get({ challenge: Buffer.from('not-issued-by-the-server').toString('base64url'), rpId: 'localhost' }));
    await attempt('counter not raised', voter.authenticator.get(await loginOptions(browser), { counter: 1 }));
    await attempt('no user verification', voter.authenticator.get(await loginOptions(browser), { userVerified: false }));
    await attempt('another origin', voter.authenticator.get(await loginOptions(browser), { origin: 'https://evil.example' }));
    await attempt('another user handle', voter.authenticator.get(await loginOptions(browser), { userHandle: Buffer.alloc(16, 7).toString('base64url') }));
    const stranger = new SoftwareAuthenticator(origin);
    stranger.create({ ...(await registrationOptions(voter.client, voter.tokens.access_token)), excludeCredentials: [] });
    await attempt('unknown credential', stranger.get(await loginOptions(browser)));

    assert.deepEqual(refusals.map((r) => [r.name, r.status, r.code]), refusals.map((r) => [r.name, 400, 'invalid_passkey']), JSON.stringify(refusals));
    assert.match(refusals[0]!.detail!, /already used/);
    assert.match(refusals[2]!.detail!, /counter/);
    assert.match(refusals[3]!.detail!, /verify the user/);
    const [row] = await storedPasskeys(voter.voterId);
    assert.equal(Number(row!.counter), 1, 'the stored counter is where the one good login left it');

    // The authenticator's counter has moved past every refused try: the next honest login works.
    assert.equal((await passkeyLogin(browser, voter.authenticator.get(await loginOptions(browser)))).status, 200);
    const metrics = await (await fetch(`${identity.opsUrl}/metrics`)).text();
    assert.match(metrics, /identity_passkeys_total\{event="counter_regressed"[^}]*\} [1-9]/);
    assert.match(metrics, /identity_passkey_logins_total\{outcome="invalid_passkey"[^}]*\} [1-9]/);
  });

  test('a passkey that counts no signatures (a synced one, counter 0) logs in every time', async () => {
    const voter = await aVoterWithTokens();
    voter.authenticator.options.countsSignatures = false;
    await register(voter);
    for (let i = 0; i < 2; i++) {
      const client = new Client(identity.base);
      assert.equal((await passkeyLogin(client, voter.authenticator.get(await loginOptions(client)))).status, 200);
    }
  });

  test('a passkey login is guarded like a password login: no DPoP proof 401, no or a failed challenge 403, failures raise the level, and the options are counted per address', async () => {
    const voter = await aVoterWithTokens();
    await register(voter);
    const client = new Client(identity.base);

    const noProof = await passkeyLogin(client, voter.authenticator.get(await loginOptions(client)), { dpop: null });
    assert.equal(noProof.status, 401);
    assert.equal(noProof.body.code, 'invalid_dpop_proof');
    const badAltcha = await passkeyLogin(client, voter.authenticator.get(await loginOptions(client)), { altcha: 'bm90IGEgc29sdXRpb24' });
    assert.equal(badAltcha.status, 403);
    assert.equal(badAltcha.body.code, 'challenge_failed');
    const noAltcha = await client.call<{ code: string }>('POST', '/v1/auth/passkeys/login', {
      body: { response: voter.authenticator.get(await loginOptions(client)) },
      headers: { dpop: await client.proof('POST', '/v1/auth/passkeys/login') },
    });
    assert.equal(noAltcha.status, 400);
    assert.equal(noAltcha.body.code, 'invalid_request');

    // Three failures with this credential from this network (the allowance): the next needs level 1.
    for (let i = 0; i < 3; i++) {
      const stale = voter.authenticator.get({ challenge: Buffer.from(`never-issued-${i}-padding`).toString('base64url'), rpId: 'localhost' });
      assert.equal((await passkeyLogin(client, stale)).status, 400);
    }
    const easy = await passkeyLogin(client, voter.authenticator.get(await loginOptions(client)), { altcha: await client.altcha({ purpose: 'login', level: 0 }) });
    assert.equal(easy.status, 403);
    assert.equal(easy.body.challengeLevel, 1);
    const harder = await passkeyLogin(client, voter.authenticator.get(await loginOptions(client)), { altcha: await client.altcha({ purpose: 'login', level: 1 }) });
    assert.equal(harder.status, 200, JSON.stringify(harder.body));
  });

  test('options are limited per address like challenges (429 past CHALLENGES_PER_IP_PER_MINUTE)', async () => {
    const limited = await startIdentity(await sharedStores(), { CHALLENGES_PER_IP_PER_MINUTE: 2 });
    try {
      const client = new Client(limited.base);
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await client.call('POST', '/v1/auth/passkeys/login/options', { body: {} })).status);
      assert.deepEqual(statuses, [200, 200, 429]);
    } finally {
      await limited.stop();
    }
  });

  test('a voter removes a passkey (then it cannot log in); nobody else can; deleting the account removes its passkeys', async () => {
    const voter = await aVoterWithTokens();
    const created = await register(voter, 'Phone');
    const other = await aVoterWithTokens();
    const notYours = await other.client.authorized('DELETE', `/v1/auth/passkeys/${created.body.id}`, other.tokens.access_token);
    assert.equal(notYours.status, 404);
    const badId = await voter.client.authorized<{ code: string }>('DELETE', '/v1/auth/passkeys/not-a-uuid', voter.tokens.access_token);
    assert.equal(badId.body.code, 'invalid_request');

    const removed = await voter.client.authorized('DELETE', `/v1/auth/passkeys/${created.body.id}`, voter.tokens.access_token);
    assert.equal(removed.status, 204);
    const client = new Client(identity.base);
    const login = await passkeyLogin(client, voter.authenticator.get(await loginOptions(client)));
    assert.equal(login.status, 400);
    assert.match(login.body.detail!, /not registered/);

    await register(other);
    assert.equal((await storedPasskeys(other.voterId)).length, 1);
    const deleted = await other.client.authorized('DELETE', '/v1/auth/account', other.tokens.access_token, { password: other.password });
    assert.equal(deleted.status, 204);
    assert.equal((await storedPasskeys(other.voterId)).length, 0, 'cascaded with the voter');
  });

  test('an admin who logs in with a passkey gets mfa in amr, so admin calls need no TOTP code', async () => {
    // The admin check itself is @onevote/auth's (amr must hold mfa); here: the claim and role are there.
    const voter = await aVoterWithTokens();
    await identity.sql`update identity.voters set roles = array['voter', 'admin'] where id = ${voter.voterId}`;
    await register(voter);
    const client = new Client(identity.base);
    const login = await passkeyLogin(client, voter.authenticator.get(await loginOptions(client)));
    const claims = decodeJwt(login.body.access_token).payload;
    assert.deepEqual(claims.roles, ['voter', 'admin']);
    assert.ok((claims.amr as string[]).includes('mfa'));
  });

  test('a response for a registration is typed RegistrationResponseJSON (compile-time check of the helper)', () => {
    const r: RegistrationResponseJSON = new SoftwareAuthenticator(origin).create({
      challenge: 'AAAAAAAAAAAAAAAAAAAAAA',
      rp: { id: 'localhost', name: 'x' },
      user: { id: 'AAAA', name: 'a', displayName: 'a' },
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
    });
    assert.equal(r.type, 'public-key');
  });
});
