import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AccessTokenVerifier } from '@onevote/auth';
import { waitFor } from '@onevote/stack/testing';
import postgres from 'postgres';
import { KeyVault } from '@onevote/platform';
import { rotateSigningKey } from '../src/adapters/signing-keys.ts';
import { keyPublicationPolicy } from '../src/app.ts';
import {
  aRegisteredVoter,
  decodeJwt,
  type Identity,
  type Shared,
  sharedStores,
  startIdentity,
  testKeyEncryptionKey,
} from './support.ts';

describe('signing-key rotation', () => {
  let shared: Shared;
  let identity: Identity;

  before(async () => {
    shared = await sharedStores();
    identity = await startIdentity(shared, { KEY_RELOAD_SECONDS: 1 });
  });
  after(() => identity.stop());

  const jwksKids = async () =>
    ((await (await fetch(`${identity.base}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }).keys.map(
      (k) => k.kid,
    );

  test('a new key is published first, then signs; old tokens verify until they expire; an unknown kid refetches the JWKS once', async () => {
    const voter = await aRegisteredVoter(identity.base);
    const login = async () => {
      const answer = await voter.client.login(voter.email, voter.password);
      assert.equal(answer.status, 200);
      return answer.body.access_token;
    };
    const oldToken = await login();
    const oldKid = decodeJwt(oldToken).header.kid as string;

    let jwksFetches = 0;
    const verifier = new AccessTokenVerifier({
      issuers: [
        { issuer: identity.config.TOKEN_ISSUER, jwksUrl: `${identity.base}/.well-known/jwks.json`, roles: ['voter'], voterPrefix: '' },
      ],
      audience: 'onevote',
      jwksCooldownMs: 0,
      fetch: (...args) => {
        jwksFetches++;
        return fetch(...args);
      },
    });
    const verify = (token: string) => verifier.verify(token, token);
    await verify(oldToken);
    assert.equal(jwksFetches, 1);

    const rotated = await rotateSigningKey(identity.sql, new KeyVault(testKeyEncryptionKey), {
      activateInSeconds: 2,
      policy: keyPublicationPolicy(identity.config),
    });
    await waitFor('the new key in the JWKS', async () => (await jwksKids()).includes(rotated.kid), {
      timeoutMs: 5000,
    });
    assert.deepEqual((await jwksKids()).sort(), [oldKid, rotated.kid].sort(), 'both keys published');

    let newToken = '';
    await waitFor(
      'tokens signed by the new key',
      async () => {
        newToken = await login();
        return decodeJwt(newToken).header.kid === rotated.kid;
      },
      { timeoutMs: 8000, intervalMs: 250 },
    );

    const claims = await verify(newToken);
    assert.equal(claims.voterId, voter.voterId);
    assert.equal(jwksFetches, 2, 'the unknown kid made the verifier fetch the JWKS once');
    await verify(await login());
    assert.equal(jwksFetches, 2, 'and not again for the next token');

    const me = await voter.client.authorized('GET', '/v1/auth/me', oldToken);
    assert.equal(me.status, 200, 'a token of the old key still verifies');

    // Move time past the old key's last possible token: rotate again with the history aged.
    const admin = postgres(shared.adminUrl, { max: 1, onnotice: () => {} });
    try {
      await admin`update identity.signing_keys set activates_at = activates_at - interval '1 day'`;
    } finally {
      await admin.end();
    }
    const second = await rotateSigningKey(identity.sql, new KeyVault(testKeyEncryptionKey), {
      activateInSeconds: 60,
      policy: keyPublicationPolicy(identity.config),
    });
    assert.deepEqual(second.deleted, [oldKid], 'the key whose tokens have all expired is deleted');
    await waitFor('the old key to leave the JWKS', async () => !(await jwksKids()).includes(oldKid), {
      timeoutMs: 5000,
    });
  });
});
