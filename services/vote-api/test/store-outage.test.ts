import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { TokenIssuer } from '@onevote/auth/client';
import { freePort, PostgresServer } from '@onevote/stack';
import { testDir, waitFor } from '@onevote/stack/testing';
import { aBallot, anElection, aVoter, stored, startVoteApi, type VoteApiUnderTest, vote } from './harness.ts';

describe('PostgreSQL outage', () => {
  let pg: PostgresServer;
  let issuer: TokenIssuer;
  let api: VoteApiUnderTest;

  before(async () => {
    pg = new PostgresServer(`${testDir('pg-outage')}/data`, await freePort());
    await pg.start();
    issuer = await TokenIssuer.start();
    api = await startVoteApi({ issuer, databaseUrl: pg.adminUrl, adminUrl: pg.adminUrl });
  });
  after(async () => {
    await api.stop();
    await issuer.stop();
    await pg.stop();
  });

  test('stopped: 503 with Retry-After within a second, nothing recorded, still alive; back: accepted without a restart', async () => {
    const election = anElection();
    await api.publish(election);
    const before = await vote(api, await aVoter(issuer), election.id, { selections: aBallot(election) });
    assert.equal(before.status, 201);

    await pg.stop();
    const voters = await Promise.all(Array.from({ length: 5 }, () => aVoter(issuer)));
    const keys = voters.map(() => randomUUID());
    for (const [i, voter] of voters.entries()) {
      // The request's own deadline is the bound: an answer later than 1 s aborts and fails the test.
      const res = await vote(api, voter, election.id, { selections: aBallot(election) }, keys[i], 1000);
      assert.equal(res.status, 503);
      assert.equal(res.body.code, 'unavailable');
      assert.ok(Number(res.headers.get('retry-after')) >= 1);
    }
    assert.equal((await fetch(`${api.opsUrl}/healthz`)).status, 200);
    assert.equal((await fetch(`${api.opsUrl}/readyz`)).status, 503);

    await pg.start();
    // The client retries with the same Idempotency-Key, as API.md allows, until it is counted.
    let receipt: Record<string, unknown> | undefined;
    await waitFor('vote-api to accept ballots again', async () => {
      const res = await vote(api, voters[0]!, election.id, { selections: aBallot(election) }, keys[0]);
      if (res.status === 201) receipt = res.body;
      return res.status === 201;
    });
    assert.equal(receipt?.status, 'counted');

    // Only the ballot before the outage and the retried one exist: the refused ones left nothing.
    const db = await stored(api.admin, election.id);
    assert.equal(db.ballots, 2);
    assert.equal(db.totals, 2);
    assert.equal(db.tallies[election.questions[0]!.options[0]!.id], 2);
  });
});
