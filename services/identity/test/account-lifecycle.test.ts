/** Sessions ("log out everywhere") and account deletion (issue 16), on real PostgreSQL and Redis. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { aRegisteredVoter, Client, decodeJwt, type Identity, sharedStores, startIdentity } from './support.ts';

describe('account lifecycle', () => {
  let identity: Identity;
  before(async () => {
    identity = await startIdentity(await sharedStores());
  });
  after(() => identity.stop());

  test('sessions: each login is one, the caller’s is marked; one can be ended, then all', async () => {
    const voter = await aRegisteredVoter(identity.base);
    const laptop = (await voter.client.login(voter.email, voter.password)).body;
    const phone = new Client(identity.base);
    const phoneTokens = (await phone.login(voter.email, voter.password)).body;
    const tablet = new Client(identity.base);
    const tabletTokens = (await tablet.login(voter.email, voter.password)).body;

    const list = await voter.client.authorized<{ sessions: { id: string; current: boolean; amr: string[] }[] }>(
      'GET',
      '/v1/auth/sessions',
      laptop.access_token,
    );
    assert.equal(list.status, 200);
    assert.equal(list.body.sessions.length, 3);
    const mine = list.body.sessions.filter((s) => s.current);
    assert.equal(mine.length, 1);
    assert.equal(mine[0]!.id, decodeJwt(laptop.access_token).payload.sid);
    assert.deepEqual(mine[0]!.amr, ['pwd']);

    const phoneSession = String(decodeJwt(phoneTokens.access_token).payload.sid);
    assert.equal((await voter.client.authorized('DELETE', `/v1/auth/sessions/${phoneSession}`, laptop.access_token)).status, 204);
    assert.equal((await phone.refresh(phoneTokens.refresh_token)).status, 401, 'the phone is signed out');
    assert.equal((await voter.client.authorized('DELETE', `/v1/auth/sessions/${phoneSession}`, laptop.access_token)).status, 404);
    assert.equal((await voter.client.authorized('DELETE', `/v1/auth/sessions/${randomUUID()}`, laptop.access_token)).status, 404);
    const other = await aRegisteredVoter(identity.base);
    const otherTokens = (await other.client.login(other.email, other.password)).body;
    const notYours = await other.client.authorized('DELETE', `/v1/auth/sessions/${String(decodeJwt(tabletTokens.access_token).payload.sid)}`, otherTokens.access_token);
    assert.equal(notYours.status, 404, "another voter's session cannot be ended");
    assert.equal((await tablet.refresh(tabletTokens.refresh_token)).status, 200, 'and it was not');

    assert.equal((await voter.client.authorized('DELETE', '/v1/auth/sessions', laptop.access_token)).status, 204);
    assert.equal((await voter.client.refresh(laptop.refresh_token)).status, 401);
    const left = await other.client.authorized<{ sessions: unknown[] }>('GET', '/v1/auth/sessions', otherTokens.access_token);
    assert.equal(left.body.sessions.length, 1, "other voters' sessions are untouched");
  });

  test('deleting an account needs the password; then the address can register again as a new voter', async () => {
    const voter = await aRegisteredVoter(identity.base);
    const tokens = (await voter.client.login(voter.email, voter.password)).body;
    const wrong = await voter.client.authorized('DELETE', '/v1/auth/account', tokens.access_token, { password: `${voter.password}x` });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.code, 'invalid_credentials');
    const bad = await voter.client.authorized('DELETE', '/v1/auth/account', tokens.access_token, {});
    assert.equal(bad.status, 400);
    assert.equal((await identity.sql`select 1 from identity.voters where id = ${voter.voterId}`).length, 1, 'nothing deleted yet');

    const deleted = await voter.client.authorized('DELETE', '/v1/auth/account', tokens.access_token, { password: voter.password });
    assert.equal(deleted.status, 204);
    for (const table of ['voters', 'refresh_families', 'email_codes', 'totp_factors']) {
      const column = table === 'voters' ? 'id' : 'voter_id';
      const rows = await identity.sql.unsafe(`select 1 from identity.${table} where ${column} = $1`, [voter.voterId]);
      assert.equal(rows.length, 0, `identity.${table}`);
    }
    assert.equal((await voter.client.login(voter.email, voter.password)).status, 401);
    assert.equal((await voter.client.refresh(tokens.refresh_token)).status, 401);
    assert.equal((await voter.client.authorized('GET', '/v1/auth/me', tokens.access_token)).status, 401);

    const again = await new Client(identity.base).register(voter.email, voter.password);
    assert.equal(again.status, 201);
    assert.notEqual(again.body.voterId, voter.voterId, 'a new voter, not the old one');
  });
});
