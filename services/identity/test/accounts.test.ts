import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  aPassword,
  aRegisteredVoter,
  anEmail,
  Client,
  decodeJwt,
  type Identity,
  sharedStores,
  startIdentity,
} from './support.ts';

describe('identity accounts (API.md Identity table)', () => {
  let identity: Identity;
  let base: string;

  before(async () => {
    identity = await startIdentity(await sharedStores(), { REGISTRATIONS_PER_IP_PER_HOUR: 5 });
    base = identity.base;
  });
  after(() => identity.stop());

  describe('POST /v1/auth/register', () => {
    test('a new voter is registered with 201 and a voter id; the password is stored as argon2id only', async () => {
      const client = new Client(base);
      const email = anEmail();
      const answer = await client.register(`  ${email.toUpperCase()} `, 'a perfectly fine passphrase');
      assert.equal(answer.status, 201);
      assert.match(answer.body.voterId, /^[0-9a-f-]{36}$/);
      const [row] = await identity.sql`select email, password_hash from identity.voters where id = ${answer.body.voterId}`;
      assert.equal(row!.email, email, 'stored normalised');
      assert.match(String(row!.password_hash), /^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    });

    test('an invalid email or a malformed body is 400 invalid_request', async () => {
      const client = new Client(base);
      const bad = await client.register('not-an-email', 'a perfectly fine passphrase');
      assert.equal(bad.status, 400);
      assert.equal(bad.body.code, 'invalid_request');
      const extra = await client.call('POST', '/v1/auth/register', {
        body: { email: anEmail(), password: 'a perfectly fine passphrase', altcha: 'x', admin: true },
      });
      assert.equal(extra.status, 400);
      assert.equal(extra.body.code, 'invalid_request');
    });

    test('a password under 10 characters or on the common list is 400 weak_password', async () => {
      const client = new Client(base);
      for (const password of ['short-pw1', 'Password123', '1q2w3e4r5t']) {
        const answer = await client.register(anEmail(), password);
        assert.equal(answer.status, 400, password);
        assert.equal(answer.body.code, 'weak_password', password);
      }
    });

    test('a missing, wrong or reused challenge solution is 403 challenge_failed', async () => {
      const client = new Client(base);
      const wrong = await client.register(anEmail(), aPassword(), Buffer.from('{"x":1}').toString('base64'));
      assert.equal(wrong.status, 403);
      assert.equal(wrong.body.code, 'challenge_failed');
      const altcha = await client.altcha();
      assert.equal((await client.register(anEmail(), aPassword(), altcha)).status, 201);
      const reused = await client.register(anEmail(), aPassword(), altcha);
      assert.equal(reused.status, 403);
      assert.equal(reused.body.code, 'challenge_failed');
    });

    test('an email already registered, in any case, is 409 email_taken', async () => {
      const { email } = await aRegisteredVoter(base);
      const again = await new Client(base).register(email.toUpperCase(), aPassword());
      assert.equal(again.status, 409);
      assert.equal(again.body.code, 'email_taken');
    });

    test('too many registrations from one address are 429 rate_limited with Retry-After', async () => {
      const client = new Client(base);
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await client.register(anEmail(), aPassword())).status);
      assert.deepEqual(statuses, [201, 201, 201, 201, 201, 429]);
      const limited = await client.register(anEmail(), aPassword());
      assert.equal(limited.body.code, 'rate_limited');
      assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    });
  });

  describe('GET /v1/auth/challenge', () => {
    test('names its purpose and level in the signed challenge; without a purpose it is good for any', async () => {
      const client = new Client(base);
      const any = await client.challenge();
      assert.deepEqual(any.parameters.data, { purpose: 'any', level: 0, expectedAttempts: 10, maxAttempts: 20 });
      const register = await client.challenge({ purpose: 'register' });
      assert.equal(register.parameters.data.purpose, 'register');
      const harder = await client.challenge({ purpose: 'login', level: 3 });
      assert.deepEqual(harder.parameters.data, { purpose: 'login', level: 3, expectedAttempts: 80, maxAttempts: 160 });
      const capped = await client.challenge({ purpose: 'vote', level: 99 });
      assert.equal(capped.parameters.data.level, identity.config.ALTCHA_MAX_LEVEL);
    });

    test('an unknown purpose, a level that is not a small integer or another parameter is 400', async () => {
      const client = new Client(base);
      for (const query of ['purpose=admin', 'level=-1', 'level=1.5', 'level=abc', 'level=100', 'nonce=1']) {
        const answer = await client.call('GET', `/v1/auth/challenge?${query}`);
        assert.equal(answer.status, 400, query);
        assert.equal(answer.body.code, 'invalid_request', query);
      }
    });

    test('a challenge issued for login is refused for register, and one for register at login', async () => {
      const client = new Client(base);
      const forLogin = await client.register(anEmail(), aPassword(), await client.altcha({ purpose: 'login' }));
      assert.equal(forLogin.status, 403);
      assert.equal(forLogin.body.code, 'challenge_failed');
      assert.match(String((forLogin.body as { detail?: string }).detail), /issued for login, not register/);
      const { email, password } = await aRegisteredVoter(base);
      const forRegister = await client.login(email, password, { altcha: await client.altcha({ purpose: 'register' }) });
      assert.equal(forRegister.status, 403);
      assert.equal(forRegister.body.code, 'challenge_failed');
      const forVote = await client.login(email, password, { altcha: await client.altcha({ purpose: 'vote' }) });
      assert.equal(forVote.status, 403);
    });

    test('issues a signed, expiring challenge that is never cached', async () => {
      const answer = await new Client(base).call<{ parameters: { expiresAt: number }; signature: string }>(
        'GET',
        '/v1/auth/challenge',
      );
      assert.equal(answer.status, 200);
      assert.equal(answer.headers.get('cache-control'), 'no-store');
      assert.ok(answer.body.signature.length > 20);
      assert.ok(answer.body.parameters.expiresAt > Date.now() / 1000);
    });

    test('a solved challenge used concurrently by many requests is accepted exactly once', async () => {
      const client = new Client(base);
      const altcha = await client.altcha();
      const answers = await Promise.all(
        Array.from({ length: 4 }, () => new Client(base).register(anEmail(), aPassword(), altcha)),
      );
      assert.deepEqual(answers.map((a) => a.status).sort(), [201, 403, 403, 403]);
    });
  });

  describe('POST /v1/auth/login', () => {
    test('returns a DPoP-bound ES256 access token with the claims of API.md, and a refresh token', async () => {
      const { client, email, password, voterId } = await aRegisteredVoter(base);
      const answer = await client.login(email, password);
      assert.equal(answer.status, 200);
      assert.equal(answer.headers.get('cache-control'), 'no-store');
      assert.equal(answer.body.token_type, 'DPoP');
      assert.equal(answer.body.expires_in, 600);
      assert.ok(answer.body.refresh_token.length >= 43);
      const { header, payload } = decodeJwt(answer.body.access_token);
      assert.equal(header.alg, 'ES256');
      assert.equal(header.typ, 'at+jwt');
      assert.equal(typeof header.kid, 'string');
      assert.equal(payload.iss, identity.config.TOKEN_ISSUER);
      assert.equal(payload.sub, voterId);
      assert.equal(payload.aud, 'onevote');
      assert.equal(Number(payload.exp) - Number(payload.iat), 600);
      assert.equal(typeof payload.jti, 'string');
      assert.deepEqual(payload.roles, ['voter']);
      assert.equal(payload.email_verified, false, 'a new address is not verified');
      assert.deepEqual(payload.amr, ['pwd'], 'a password only (RFC 8176)');
      assert.deepEqual(payload.cnf, { jkt: (await client.key).jkt });
    });

    test('a wrong password and an unknown email get the same 401 invalid_credentials', async () => {
      const { client, email } = await aRegisteredVoter(base);
      const wrong = await client.login(email, 'not the password at all');
      const unknown = await client.login(anEmail(), 'not the password at all');
      for (const answer of [wrong, unknown]) {
        assert.equal(answer.status, 401);
        assert.equal(answer.body.code, 'invalid_credentials');
        assert.equal((answer.body as unknown as { detail: string }).detail, 'Email or password is wrong');
      }
    });

    test('a missing or reused challenge is 403 challenge_failed', async () => {
      const { client, email, password } = await aRegisteredVoter(base);
      const missing = await client.login(email, password, { altcha: 'bm90LWpzb24=' });
      assert.equal(missing.status, 403);
      assert.equal(missing.body.code, 'challenge_failed');
      const altcha = await client.altcha();
      assert.equal((await client.login(email, password, { altcha })).status, 200);
      const reused = await client.login(email, password, { altcha });
      assert.equal(reused.status, 403);
      assert.equal(reused.body.code, 'challenge_failed');
    });

    test('without a DPoP proof, or with a proof for another URL, it is 401 invalid_dpop_proof', async () => {
      const { client, email, password } = await aRegisteredVoter(base);
      const missing = await client.login(email, password, { dpop: null });
      assert.equal(missing.status, 401);
      assert.equal(missing.body.code, 'invalid_dpop_proof');
      const elsewhere = await client.login(email, password, { dpop: await client.proof('POST', '/v1/auth/refresh') });
      assert.equal(elsewhere.status, 401);
      assert.equal(elsewhere.body.code, 'invalid_dpop_proof');
    });
  });

  describe('GET /v1/auth/me', () => {
    test('answers the caller from a DPoP-bound token', async () => {
      const { client, email, password, voterId } = await aRegisteredVoter(base);
      const { body } = await client.login(email, password);
      const me = await client.authorized('GET', '/v1/auth/me', body.access_token);
      assert.equal(me.status, 200);
      assert.deepEqual(me.body, { voterId, email, roles: ['voter'], emailVerified: false, mfa: { totp: false } });
    });

    test('no token, a Bearer token, or a token used with another key is 401', async () => {
      const { client, email, password } = await aRegisteredVoter(base);
      const { body } = await client.login(email, password);
      const none = await client.call('GET', '/v1/auth/me');
      assert.equal(none.status, 401);
      assert.equal(none.body.code, 'invalid_token');
      const bearer = await client.call('GET', '/v1/auth/me', {
        headers: { authorization: `Bearer ${body.access_token}` },
      });
      assert.equal(bearer.status, 401);
      const thief = new Client(base);
      const stolen = await thief.authorized('GET', '/v1/auth/me', body.access_token);
      assert.equal(stolen.status, 401);
      assert.equal(stolen.body.code, 'invalid_dpop_proof');
    });
  });

  describe('GET /.well-known/jwks.json', () => {
    test('publishes public ES256 keys with kid, never a private member', async () => {
      const answer = await new Client(base).call<{ keys: Record<string, unknown>[] }>(
        'GET',
        '/.well-known/jwks.json',
      );
      assert.equal(answer.status, 200);
      assert.ok(answer.body.keys.length >= 1);
      for (const key of answer.body.keys) {
        assert.equal(key.kty, 'EC');
        assert.equal(key.alg, 'ES256');
        assert.equal(typeof key.kid, 'string');
        assert.equal('d' in key, false);
      }
    });

    test('private keys are stored encrypted', async () => {
      const rows = await identity.sql`select private_key_encrypted from identity.signing_keys`;
      assert.ok(rows.length >= 1);
      for (const row of rows) assert.equal(Buffer.from(row.private_key_encrypted).includes('"d"'), false);
    });
  });
});
