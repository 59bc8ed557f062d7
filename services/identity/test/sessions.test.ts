import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DpopKey } from '@onevote/auth/client';
import { aRegisteredVoter, Client, type Identity, type Shared, sharedStores, startIdentity } from './support.ts';

describe('refresh tokens and logout', () => {
  let identity: Identity;
  let base: string;

  before(async () => {
    identity = await startIdentity(await sharedStores());
    base = identity.base;
  });
  after(() => identity.stop());

  async function loggedIn() {
    const voter = await aRegisteredVoter(base);
    const login = await voter.client.login(voter.email, voter.password);
    assert.equal(login.status, 200);
    return { ...voter, tokens: login.body };
  }

  test('a refresh returns a new pair bound to the same key, and spends the old refresh token', async () => {
    const { client, tokens, voterId } = await loggedIn();
    const next = await client.refresh(tokens.refresh_token);
    assert.equal(next.status, 200);
    assert.equal(next.body.token_type, 'DPoP');
    assert.notEqual(next.body.refresh_token, tokens.refresh_token);
    assert.notEqual(next.body.access_token, tokens.access_token);
    const me = await client.authorized<{ voterId: string }>('GET', '/v1/auth/me', next.body.access_token);
    assert.equal(me.body.voterId, voterId);
    const again = await client.refresh(next.body.refresh_token);
    assert.equal(again.status, 200, 'the successor is usable once');
  });

  test('a spent refresh token presented again is 401 and revokes its whole family', async () => {
    const { client, tokens } = await loggedIn();
    const second = await client.refresh(tokens.refresh_token);
    assert.equal(second.status, 200);
    const reuse = await client.refresh(tokens.refresh_token);
    assert.equal(reuse.status, 401);
    assert.equal(reuse.body.code, 'invalid_token');
    const descendant = await client.refresh(second.body.refresh_token);
    assert.equal(descendant.status, 401, 'the unspent descendant is revoked too');
    assert.equal(descendant.body.code, 'invalid_token');
  });

  test('one refresh token used concurrently yields one new pair; the family is then revoked', async () => {
    const { client, tokens } = await loggedIn();
    const answers = await Promise.all([client.refresh(tokens.refresh_token), client.refresh(tokens.refresh_token)]);
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 401]);
    const winner = answers.find((a) => a.status === 200)!;
    assert.equal((await client.refresh(winner.body.refresh_token)).status, 401);
  });

  test('a refresh proved by another key is 401 invalid_dpop_proof and does not spend the token', async () => {
    const { client, tokens } = await loggedIn();
    const thief = new Client(base, client.ip, await DpopKey.generate());
    const stolen = await thief.refresh(tokens.refresh_token);
    assert.equal(stolen.status, 401);
    assert.equal(stolen.body.code, 'invalid_dpop_proof');
    assert.equal((await client.refresh(tokens.refresh_token)).status, 200);
  });

  test('an unknown or malformed refresh token is refused', async () => {
    const client = new Client(base);
    const unknown = await client.refresh('A'.repeat(43));
    assert.equal(unknown.status, 401);
    assert.equal(unknown.body.code, 'invalid_token');
    const short = await client.refresh('short');
    assert.equal(short.status, 400);
    assert.equal(short.body.code, 'invalid_request');
  });

  test('logout answers 204 and revokes the refresh-token family', async () => {
    const { client, tokens } = await loggedIn();
    const refreshed = await client.refresh(tokens.refresh_token);
    const out = await client.authorized('POST', '/v1/auth/logout', refreshed.body.access_token, {
      refresh_token: refreshed.body.refresh_token,
    });
    assert.equal(out.status, 204);
    const after = await client.refresh(refreshed.body.refresh_token);
    assert.equal(after.status, 401);
    assert.equal(after.body.code, 'invalid_token');
  });

  test('logout without a token, or with another voter\'s refresh token, is 401', async () => {
    const alice = await loggedIn();
    const bob = await loggedIn();
    const anonymous = await alice.client.call('POST', '/v1/auth/logout', {
      body: { refresh_token: alice.tokens.refresh_token },
    });
    assert.equal(anonymous.status, 401);
    const foreign = await alice.client.authorized('POST', '/v1/auth/logout', alice.tokens.access_token, {
      refresh_token: bob.tokens.refresh_token,
    });
    assert.equal(foreign.status, 401);
    assert.equal(foreign.body.code, 'invalid_token');
    assert.equal((await bob.client.refresh(bob.tokens.refresh_token)).status, 200, "bob's family is untouched");
  });
});

describe('two identity replicas behind one proxy', () => {
  let shared: Shared;
  let a: Identity;
  let b: Identity;
  // The address clients use; both replicas see it through the trusted proxy's forwarded headers.
  const publicBase = 'https://identity.example';
  const forwarded = { 'x-forwarded-host': 'identity.example', 'x-forwarded-proto': 'https' };

  before(async () => {
    shared = await sharedStores();
    a = await startIdentity(shared);
    b = await startIdentity(shared, {}, { primary: false });
  });
  after(async () => {
    await b.stop();
    await a.stop();
  });

  test('a DPoP proof accepted by one replica is refused by the other (jti single use in Redis)', async () => {
    const voter = await aRegisteredVoter(a.base);
    const key = await voter.client.key;
    const viaA = new Client(a.base, voter.client.ip, key);
    const viaB = new Client(b.base, voter.client.ip, key);

    const loginProof = await key.proof({ htm: 'POST', htu: `${publicBase}/v1/auth/login` });
    const login = await viaA.call<{ access_token: string }>('POST', '/v1/auth/login', {
      body: { email: voter.email, password: voter.password, altcha: await viaA.altcha() },
      headers: { ...forwarded, dpop: loginProof },
    });
    assert.equal(login.status, 200);
    const replayedLogin = await viaB.call('POST', '/v1/auth/login', {
      body: { email: voter.email, password: voter.password, altcha: await viaB.altcha() },
      headers: { ...forwarded, dpop: loginProof },
    });
    assert.equal(replayedLogin.status, 401);
    assert.equal(replayedLogin.body.code, 'invalid_dpop_proof');

    const token = login.body.access_token;
    const headers = { ...forwarded, ...(await key.headers('GET', `${publicBase}/v1/auth/me`, token)) };
    assert.equal((await viaA.call('GET', '/v1/auth/me', { headers })).status, 200);
    const replayed = await viaB.call('GET', '/v1/auth/me', { headers });
    assert.equal(replayed.status, 401);
    assert.equal(replayed.body.code, 'invalid_dpop_proof');
    const fresh = { ...forwarded, ...(await key.headers('GET', `${publicBase}/v1/auth/me`, token)) };
    assert.equal((await viaB.call('GET', '/v1/auth/me', { headers: fresh })).status, 200, 'a fresh proof works');
  });

  test('a challenge solved once is accepted by only one replica', async () => {
    const client = new Client(a.base);
    const altcha = await client.altcha();
    const voter = await aRegisteredVoter(a.base);
    const [viaA, viaB] = await Promise.all([
      new Client(a.base).register(`x${voter.email}`, voter.password, altcha),
      new Client(b.base).register(`y${voter.email}`, voter.password, altcha),
    ]);
    assert.deepEqual([viaA.status, viaB.status].sort(), [201, 403]);
  });
});
