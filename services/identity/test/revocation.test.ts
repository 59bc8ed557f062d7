import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { runServiceCli } from '@onevote/stack';
import { startTestStack } from '@onevote/stack/testing';
import type { Stack } from '@onevote/stack';
import { aPassword, anEmail, Client, decodeJwt } from './support.ts';

// Issue 14, item 13: logout and admin revocation take effect on admin calls at once, in every
// service (the deny-list in Redis), and admin tokens are short-lived.
// Started at the top level: startTestStack stops it after the file's tests.
const stack: Stack = await startTestStack({ seed: false });

describe('revoked admin tokens', () => {
  let client: Client;
  const email = anEmail();
  const password = aPassword();

  const identityCli = (...args: string[]) => {
    const identity = stack.services.get('identity')!;
    return runServiceCli(identity.def, identity.env, args);
  };
  const createElection = (token: string) =>
    client.authorized('POST', '/v1/elections', token, {
      title: 'Revocation check',
      questions: [{ title: 'Q', options: [{ label: 'a' }, { label: 'b' }] }],
    });
  const logIn = async () => {
    const answer = await client.login(email, password);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body;
  };

  before(async () => {
    client = new Client(stack.gatewayUrl);
    assert.equal((await client.register(email, password)).status, 201);
    await identityCli('grant-admin', email);
  });

  test('an admin token lives minutes, not ten of them', async () => {
    const tokens = await logIn();
    const { payload } = decodeJwt(tokens.access_token);
    assert.deepEqual(payload.roles, ['voter', 'admin']);
    assert.ok(tokens.expires_in <= 120, `expires_in ${tokens.expires_in}`);
    assert.equal(Number(payload.exp) - Number(payload.iat), tokens.expires_in);
  });

  test('after logout the same access token is refused by another service at once', async () => {
    const tokens = await logIn();
    assert.equal((await createElection(tokens.access_token)).status, 201);
    const out = await client.authorized('POST', '/v1/auth/logout', tokens.access_token, { refresh_token: tokens.refresh_token });
    assert.equal(out.status, 204);
    const after = await createElection(tokens.access_token);
    assert.equal(after.status, 401);
    assert.equal(after.body.code, 'invalid_token');
  });

  test('revoke-admin makes every token the admin holds useless on admin calls at once', async () => {
    const tokens = await logIn();
    assert.equal((await createElection(tokens.access_token)).status, 201);
    await identityCli('revoke-admin', email);
    const after = await createElection(tokens.access_token);
    assert.equal(after.status, 401, 'the token still says admin, but it was issued before the revocation');
    // A fresh login is a voter now: forbidden, not unauthenticated.
    const fresh = await logIn();
    assert.equal((await createElection(fresh.access_token)).status, 403);
  });
});
