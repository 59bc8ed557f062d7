import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { testInfra, uniqueName } from '@onevote/stack/testing';
import { Redis } from 'ioredis';
import { base64url, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { DpopKey, TokenIssuer } from '../src/client.ts';
import { AccessTokenVerifier, adminMfaRequired, Authenticator, type AuthRequest, parseTrustedIssuers, RedisReplayStore } from '../src/index.ts';

const htu = 'https://vote.example/v1/elections/e1/votes';

function aRequest(
  headers: Record<string, string>,
  extra: { method?: string; rawHeaders?: string[] } = {},
): AuthRequest {
  return {
    method: extra.method ?? 'POST',
    url: '/v1/elections/e1/votes?x=1',
    protocol: 'https',
    host: 'vote.example',
    headers,
    raw: { rawHeaders: extra.rawHeaders ?? Object.entries(headers).flat() },
  };
}

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'accepted';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

describe('Authenticator (DPoP + access token)', () => {
  let redis: Redis;
  let issuer: TokenIssuer;
  let auth: Authenticator;
  let replica: Authenticator;
  let key: DpopKey;
  let token: string;

  before(async () => {
    redis = new Redis((await testInfra()).redisUrl);
    issuer = await TokenIssuer.start();
    const verifier = new AccessTokenVerifier({ issuers: [issuer.trustEntry], audience: 'onevote' });
    const prefix = `${uniqueName('t')}:`;
    auth = new Authenticator({ verifier, replay: new RedisReplayStore(redis, prefix), iatWindowSeconds: 60 });
    // A second replica: its own verifier, the same Redis.
    replica = new Authenticator({
      verifier: new AccessTokenVerifier({ issuers: [issuer.trustEntry], audience: 'onevote' }),
      replay: new RedisReplayStore(redis, prefix),
      iatWindowSeconds: 60,
    });
    key = await DpopKey.generate();
    token = await issuer.mint({ sub: 'voter-1', jkt: key.jkt, roles: ['voter'] });
  });
  after(async () => {
    await issuer.stop();
    redis.disconnect();
  });

  const call = async (proofInput: Partial<Parameters<DpopKey['proof']>[0]> = {}, signer = key, tok = token) =>
    auth.authenticate(
      aRequest({
        authorization: `DPoP ${tok}`,
        dpop: await signer.proof({ htm: 'POST', htu, accessToken: tok, ...proofInput }),
      }),
    );

  test('a valid token and proof identify the voter and the bound key', async () => {
    const principal = await call();
    assert.equal(principal.voterId, 'voter-1');
    assert.deepEqual(principal.roles, ['voter']);
    assert.equal(principal.jkt, key.jkt);
  });

  test('a replayed proof (same jti) is refused, also by a second authenticator sharing Redis', async () => {
    const proof = await key.proof({ htm: 'POST', htu, accessToken: token });
    const req = () => aRequest({ authorization: `DPoP ${token}`, dpop: proof });
    assert.equal(await code(auth.authenticate(req())), 'accepted');
    assert.equal(await code(auth.authenticate(req())), 'invalid_dpop_proof');
    assert.equal(await code(replica.authenticate(req())), 'invalid_dpop_proof');
    const fresh = await key.proof({ htm: 'POST', htu, accessToken: token });
    const [a, b] = await Promise.all([
      code(auth.authenticate(aRequest({ authorization: `DPoP ${token}`, dpop: fresh }))),
      code(replica.authenticate(aRequest({ authorization: `DPoP ${token}`, dpop: fresh }))),
    ]);
    assert.deepEqual(
      [a, b].sort(),
      ['accepted', 'invalid_dpop_proof'],
      'concurrent use on two replicas: once',
    );
  });

  test('each malformed or mismatched proof is refused with invalid_dpop_proof', async () => {
    const other = await DpopKey.generate();
    const now = Math.floor(Date.now() / 1000);
    const cases: [string, () => Promise<unknown>][] = [
      ['wrong htm', () => call({ htm: 'GET' })],
      ['wrong htu', () => call({ htu: 'https://vote.example/v1/elections/e2/votes' })],
      ['wrong host in htu', () => call({ htu: 'https://evil.example/v1/elections/e1/votes' })],
      ['stale iat', () => call({ iat: now - 600 })],
      ['future iat', () => call({ iat: now + 600 })],
      ['missing ath', () => call({ accessToken: undefined as unknown as string })],
      ['wrong ath', () => call({ claims: { ath: 'not-the-hash' } })],
      ['proof by another key', () => call({}, other)],
      ['wrong typ', () => call({ header: { typ: 'JWT' } })],
    ];
    for (const [name, attempt] of cases) assert.equal(await code(attempt()), 'invalid_dpop_proof', name);
  });

  test('a proof with alg none, a private key in jwk, or no DPoP header is refused', async () => {
    const header = base64url.encode(JSON.stringify({ typ: 'dpop+jwt', alg: 'none', jwk: key.publicJwk }));
    const body = base64url.encode(
      JSON.stringify({ jti: 'abcdefgh12', htm: 'POST', htu, iat: Math.floor(Date.now() / 1000) }),
    );
    assert.equal(
      await code(auth.authenticate(aRequest({ authorization: `DPoP ${token}`, dpop: `${header}.${body}.` }))),
      'invalid_dpop_proof',
      'alg none',
    );

    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const privateJwk = await exportJWK(privateKey);
    const withPrivate = await new SignJWT({
      jti: 'abcdefgh13',
      htm: 'POST',
      htu,
      iat: Math.floor(Date.now() / 1000),
    })
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: privateJwk })
      .sign(privateKey);
    assert.equal(
      await code(auth.authenticate(aRequest({ authorization: `DPoP ${token}`, dpop: withPrivate }))),
      'invalid_dpop_proof',
      'private jwk',
    );

    assert.equal(
      await code(auth.authenticate(aRequest({ authorization: `DPoP ${token}` }))),
      'invalid_dpop_proof',
      'missing',
    );
    const proof = await key.proof({ htm: 'POST', htu, accessToken: token });
    const twice = aRequest(
      { authorization: `DPoP ${token}`, dpop: `${proof}, ${proof}` },
      { rawHeaders: ['authorization', `DPoP ${token}`, 'DPoP', proof, 'dpop', proof] },
    );
    assert.equal(await code(auth.authenticate(twice)), 'invalid_dpop_proof', 'two headers');
  });

  test('each bad access token is refused with invalid_token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const foreign = await TokenIssuer.start();
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
    const tampered = [
      token.split('.')[0],
      base64url.encode(JSON.stringify({ ...claims, roles: ['admin'] })),
      token.split('.')[2],
    ].join('.');
    const unsigned = `${base64url.encode(JSON.stringify({ alg: 'none' }))}.${token.split('.')[1]}.`;
    // HS256 "signed" with the issuer's public key bytes: the classic algorithm-confusion attack.
    const jwks = await (await fetch(issuer.jwksUrl)).json();
    const hs256 = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid: jwks.keys[0].kid })
      .sign(new TextEncoder().encode(JSON.stringify(jwks.keys[0])));
    const cases: [string, string][] = [
      ['alg none', unsigned],
      ['HS256 with the public key', hs256],
      ['foreign key, same issuer name', await signedByForeignKeyAs(foreign, issuer.issuer, key.jkt)],
      ['tampered claims', tampered],
      ['expired', await issuer.mint({ jkt: key.jkt, iat: now - 3600, expiresInSeconds: 600 })],
      ['wrong audience', await issuer.mint({ jkt: key.jkt, audience: 'someone-else' })],
      ['unknown issuer', await foreign.mint({ jkt: key.jkt })],
      ['not sender-bound', await issuer.mint({ jkt: key.jkt, claims: { cnf: undefined } })],
    ];
    for (const [name, bad] of cases) assert.equal(await code(call({}, key, bad)), 'invalid_token', name);
    assert.equal(
      await code(auth.authenticate(aRequest({ authorization: `Bearer ${token}`, dpop: 'x' }))),
      'invalid_token',
      'Bearer scheme',
    );
    await foreign.stop();
  });

  test('the admin role is required where asked for: a voter gets forbidden', async () => {
    const proof = await key.proof({ htm: 'POST', htu, accessToken: token });
    const result = auth.authenticate(aRequest({ authorization: `DPoP ${token}`, dpop: proof }), {
      role: 'admin',
    });
    assert.equal(await code(result), 'forbidden');
  });

  test('emailVerified is true only when the token carries email_verified exactly true', async () => {
    const verified = await issuer.mint({ jkt: key.jkt, emailVerified: true });
    assert.equal(JSON.parse(Buffer.from(verified.split('.')[1]!, 'base64url').toString()).email_verified, true);
    assert.equal((await call({}, key, verified)).emailVerified, true);
    assert.equal((await call({}, key, await issuer.mint({ jkt: key.jkt }))).emailVerified, false, 'no claim');
    for (const loose of ['true', 1, false, null, { value: true }]) {
      const token = await issuer.mint({ jkt: key.jkt, claims: { email_verified: loose } });
      assert.equal((await call({}, key, token)).emailVerified, false, JSON.stringify(loose));
    }
  });
});

describe('AccessTokenVerifier keys and cache', () => {
  test('after rotation, old tokens verify until expiry and an unknown kid triggers one JWKS fetch', async () => {
    const issuer = await TokenIssuer.start();
    const key = await DpopKey.generate();
    const verifier = new AccessTokenVerifier({
      issuers: [issuer.trustEntry],
      audience: 'onevote',
      jwksCooldownMs: 0,
    });
    const old = await issuer.mint({ jkt: key.jkt });
    await verifier.verify(old, 'h-old');
    assert.equal(issuer.jwksRequests, 1);

    await issuer.rotate();
    const fresh = await issuer.mint({ jkt: key.jkt });
    await verifier.verify(fresh, 'h-new');
    assert.equal(issuer.jwksRequests, 2, 'one refresh for the unknown kid');
    await verifier.verify(old, 'h-old-again');
    assert.equal(issuer.jwksRequests, 2, 'the old key is still in the refreshed set');
    await issuer.stop();
  });

  test('a verified token is served from the cache until it expires', async () => {
    const issuer = await TokenIssuer.start();
    const key = await DpopKey.generate();
    let now = Date.now();
    const verifier = new AccessTokenVerifier({
      issuers: [issuer.trustEntry],
      audience: 'onevote',
      now: () => now,
      leewaySeconds: 0,
    });
    const token = await issuer.mint({ jkt: key.jkt, iat: Math.floor(now / 1000), expiresInSeconds: 60 });
    await verifier.verify(token, 'h');
    await verifier.verify(token, 'h');
    assert.deepEqual(verifier.stats, { cacheHits: 1, verified: 1 });
    now += 61_000;
    await assert.rejects(verifier.verify(token, 'h'), { code: 'invalid_token' });
    await issuer.stop();
  });
});

async function signedByForeignKeyAs(foreign: TokenIssuer, issuerName: string, jkt: string) {
  // A token claiming the trusted issuer's name but signed by another key.
  const token = await foreign.mint({ jkt });
  const [h, p, s] = token.split('.');
  const claims = JSON.parse(Buffer.from(p!, 'base64url').toString());
  return [h, base64url.encode(JSON.stringify({ ...claims, iss: issuerName })), s].join('.');
}

describe('issuer policy (issue 14, item 11)', () => {
  let redis: Redis;
  let home: TokenIssuer;
  let outside: TokenIssuer;
  let auth: Authenticator;

  before(async () => {
    redis = new Redis((await testInfra()).redisUrl);
    home = await TokenIssuer.start();
    outside = await TokenIssuer.start();
    auth = new Authenticator({
      verifier: new AccessTokenVerifier({
        issuers: [
          home.trustEntry,
          // An outside IdP trusted for voters only, its subjects in a namespace of their own.
          { issuer: outside.issuer, jwksUrl: outside.jwksUrl, roles: ['voter'], voterPrefix: 'idp2:' },
        ],
        audience: 'onevote',
        maxLifetimeSeconds: 900,
      }),
      replay: new RedisReplayStore(redis, `${uniqueName('policy')}:`),
      iatWindowSeconds: 60,
    });
  });
  after(async () => {
    await home.stop();
    await outside.stop();
    redis.disconnect();
  });

  const authenticate = async (token: string, key: DpopKey, requirement: { role?: 'admin' } = {}) =>
    auth.authenticate(
      aRequest({ authorization: `DPoP ${token}`, dpop: await key.proof({ htm: 'POST', htu, accessToken: token }) }),
      requirement,
    );

  test('an issuer trusted for voters cannot make an admin; its subjects are namespaced voter ids', async () => {
    const key = await DpopKey.generate();
    const token = await outside.mint({ sub: 'same-sub', jkt: key.jkt, roles: ['voter', 'admin'] });
    const principal = await authenticate(token, key);
    assert.deepEqual(principal.roles, ['voter'], 'the admin claim of an outside issuer is dropped');
    assert.equal(principal.voterId, 'idp2:same-sub');
    assert.equal(await code(authenticate(await outside.mint({ sub: 'x', jkt: key.jkt, roles: ['admin'] }), key, { role: 'admin' })), 'forbidden');
    // The same `sub` from the home issuer is another voter.
    const homeToken = await home.mint({ sub: 'same-sub', jkt: key.jkt, roles: ['voter', 'admin'] });
    const homePrincipal = await authenticate(homeToken, key, { role: 'admin' });
    assert.equal(homePrincipal.voterId, 'same-sub');
    assert.deepEqual(homePrincipal.roles, ['voter', 'admin']);
  });

  test('with admin MFA required, an admin call needs mfa in amr; voter calls do not (issue 16)', async () => {
    const strict = new Authenticator({
      verifier: new AccessTokenVerifier({ issuers: [home.trustEntry], audience: 'onevote', maxLifetimeSeconds: 900 }),
      replay: new RedisReplayStore(redis, `${uniqueName('mfa')}:`),
      iatWindowSeconds: 60,
      requireAdminMfa: true,
    });
    const key = await DpopKey.generate();
    const as = async (token: string, requirement: { role?: 'admin' } = {}) =>
      strict.authenticate(aRequest({ authorization: `DPoP ${token}`, dpop: await key.proof({ htm: 'POST', htu, accessToken: token }) }), requirement);
    const passwordOnly = await home.mint({ jkt: key.jkt, roles: ['voter', 'admin'], claims: { amr: ['pwd'] } });
    assert.equal(await code(as(passwordOnly, { role: 'admin' })), 'mfa_required');
    assert.deepEqual((await as(passwordOnly)).roles, ['voter', 'admin'], 'a voter call is fine');
    const noAmr = await home.mint({ jkt: key.jkt, roles: ['admin'] });
    assert.equal(await code(as(noAmr, { role: 'admin' })), 'mfa_required');
    const withMfa = await home.mint({ jkt: key.jkt, roles: ['admin'], claims: { amr: ['pwd', 'otp', 'mfa'] } });
    assert.deepEqual((await as(withMfa, { role: 'admin' })).amr, ['pwd', 'otp', 'mfa']);
    // And without the requirement (development), a password is enough.
    const relaxed = await authenticate(passwordOnly, key, { role: 'admin' });
    assert.deepEqual(relaxed.amr, ['pwd']);
  });

  test('REQUIRE_ADMIN_MFA: auto means production only', () => {
    assert.equal(adminMfaRequired({ NODE_ENV: 'production' }), true);
    assert.equal(adminMfaRequired({ NODE_ENV: 'development' }), false);
    assert.equal(adminMfaRequired({ REQUIRE_ADMIN_MFA: 'true', NODE_ENV: 'development' }), true);
    assert.equal(adminMfaRequired({ REQUIRE_ADMIN_MFA: 'false', NODE_ENV: 'production' }), false);
  });

  test('a token without typ at+jwt is refused (an ID token or another JWT of the issuer is not an access token)', async () => {
    const key = await DpopKey.generate();
    for (const typ of [undefined, 'JWT', 'dpop+jwt']) {
      const token = await home.mint({ jkt: key.jkt, header: { typ } });
      assert.equal(await code(authenticate(token, key)), 'invalid_token', String(typ));
    }
    assert.equal(await code(authenticate(await home.mint({ jkt: key.jkt, header: { typ: 'application/at+jwt' } }), key)), 'accepted');
  });

  test('a token that lives longer than the maximum lifetime is refused', async () => {
    const key = await DpopKey.generate();
    assert.equal(await code(authenticate(await home.mint({ jkt: key.jkt, expiresInSeconds: 901 }), key)), 'invalid_token');
    assert.equal(await code(authenticate(await home.mint({ jkt: key.jkt, expiresInSeconds: 900 }), key)), 'accepted');
  });

  test('TRUSTED_ISSUERS: https JWKS outside development, one namespace per issuer', () => {
    const entry = (issuer: string, jwksUrl: string, extra = {}) => ({ issuer, jwksUrl, ...extra });
    assert.throws(
      () => parseTrustedIssuers(JSON.stringify([entry('https://a', 'http://a/jwks.json')]), { requireHttps: true }),
      /https/,
    );
    assert.equal(
      parseTrustedIssuers(JSON.stringify([entry('https://a', 'https://a/jwks.json')]), { requireHttps: true }).length,
      1,
    );
    assert.throws(
      () => parseTrustedIssuers(JSON.stringify([entry('https://a', 'https://a/j'), entry('https://b', 'https://b/j')])),
      /voterPrefix/,
      'two issuers in one namespace',
    );
    assert.deepEqual(parseTrustedIssuers(JSON.stringify([entry('https://a', 'https://a/j')]))[0]!.roles, ['voter'], 'voter only by default');
  });
});
