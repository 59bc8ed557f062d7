import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { DpopKey, type TestVoter, TokenIssuer } from '@onevote/auth/client';
import { freshDatabase } from '@onevote/stack/testing';
import { aBallot, anElection, myVote, stored, startVoteApi, type VoteApiUnderTest, vote } from './harness.ts';

let issuer: TokenIssuer;
let api: VoteApiUnderTest;

before(async () => {
  issuer = await TokenIssuer.start();
  const db = await freshDatabase();
  api = await startVoteApi({ issuer, databaseUrl: db.urls['vote-api']!, adminUrl: db.adminUrl });
});
after(async () => {
  await api.stop();
  await issuer.stop();
});

/** One person (one `sub`, one DPoP key) with a token that does or does not say the email is verified. */
async function aPerson() {
  const sub = randomUUID();
  const key = await DpopKey.generate();
  const as = async (emailVerified: boolean): Promise<TestVoter> => {
    const token = await issuer.mint({ sub, jkt: key.jkt, emailVerified });
    return { voterId: sub, key, token, headers: (method, url) => key.headers(method, url, token) };
  };
  return { sub, jkt: key.jkt, verified: () => as(true), unverified: () => as(false) };
}

/**
 * Every vote-api key in Redis with its value, but the DPoP replay cache (the proof is checked, and
 * spent, before eligibility is known): counters, risk sets and "already voted" hints.
 */
async function redisState(): Promise<Map<string, string | null>> {
  const prefix = api.config.REDIS_KEY_PREFIX;
  const keys = (await api.redis.keys(`${prefix}*`)).filter((k) => !k.startsWith(`${prefix}replay:`)).sort();
  const values = keys.length ? await api.redis.mget(keys) : [];
  return new Map(keys.map((k, i) => [k, values[i] ?? null]));
}

/** Votes as `voter` and checks the refusal left nothing: no ballot, tally, idempotency entry, counter or hint. */
async function assertRefusedLeavingNothing(
  election: ReturnType<typeof anElection>,
  voter: TestVoter,
  code: 'email_not_verified' | 'not_eligible',
  idempotencyKey = randomUUID(),
) {
  const beforeDb = await stored(api.admin, election.id);
  const beforeRedis = await redisState();
  const res = await vote(api, voter, election.id, { selections: aBallot(election) }, idempotencyKey);
  assert.equal(res.status, 403, JSON.stringify(res.body));
  assert.equal(res.body.code, code);
  assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
  assert.deepEqual(await stored(api.admin, election.id), beforeDb, 'PostgreSQL: no ballot, no tally change');
  const [row] = await api.admin`
    select count(*)::int as n from votes.ballots where voter_id = ${voter.voterId} or idempotency_key = ${idempotencyKey}`;
  assert.equal(row!.n, 0, 'no ballot row, no idempotency entry');
  assert.deepEqual(await redisState(), beforeRedis, 'Redis: no counter, risk set or hint written');
  const mine = await myVote(api, voter as TestVoter, election.id);
  assert.equal(mine.status, 404, 'GET votes/me answers as usual: no ballot');
  return res;
}

describe('eligibility, enforced by vote-api from the token and the cached config (issue 16)', () => {
  test('open: a voter is counted with and without email_verified', async () => {
    const election = anElection({ eligibility: 'open' });
    await api.publish(election);
    const unverified = await (await aPerson()).unverified();
    const verified = await (await aPerson()).verified();
    assert.equal((await vote(api, unverified, election.id, { selections: aBallot(election, 0) })).status, 201);
    assert.equal((await vote(api, verified, election.id, { selections: aBallot(election, 1) })).status, 201);
    assert.equal((await stored(api.admin, election.id)).ballots, 2);
  });

  test('a config published before eligibility existed (no field) is open', async () => {
    const { eligibility: _, ...legacy } = anElection();
    await api.publish(legacy as ReturnType<typeof anElection>);
    const voter = await (await aPerson()).unverified();
    assert.equal((await vote(api, voter, legacy.id, { selections: aBallot(legacy as ReturnType<typeof anElection>) })).status, 201);
  });

  test('verified_email: without the claim 403 email_not_verified and nothing recorded; with it 201, even with the refused Idempotency-Key', async () => {
    const election = anElection({ eligibility: 'verified_email' });
    await api.publish(election);
    assert.equal((await vote(api, await (await aPerson()).verified(), election.id, { selections: aBallot(election, 2) })).status, 201);

    const person = await aPerson();
    const key = randomUUID();
    const refused = await assertRefusedLeavingNothing(election, await person.unverified(), 'email_not_verified', key);
    assert.equal(refused.body.detail, 'this election admits only voters whose email address is verified');

    // Once verified (a new token), the same person and the same key are counted: the refusal kept no
    // idempotency entry that could replay it.
    const counted = await vote(api, await person.verified(), election.id, { selections: aBallot(election, 0) }, key);
    assert.equal(counted.status, 201, JSON.stringify(counted.body));
    assert.equal((await stored(api.admin, election.id)).ballots, 2);
    // Reading one's own ballot does not depend on eligibility.
    const mine = await myVote(api, await person.unverified(), election.id);
    assert.equal(mine.status, 200);
    assert.equal(mine.body.receiptId, counted.body.receiptId);
  });

  test('roll (membership not built yet): 403 email_not_verified without a verified email, 403 not_eligible with one; nothing recorded', async () => {
    const election = anElection({ eligibility: 'roll' });
    await api.publish(election);
    const person = await aPerson();
    await assertRefusedLeavingNothing(election, await person.unverified(), 'email_not_verified');
    await assertRefusedLeavingNothing(election, await person.verified(), 'not_eligible');
    assert.deepEqual(await stored(api.admin, election.id), { ballots: 0, totals: 0, tallies: {} });
  });

  test('refusals are counted in the metrics by code', async () => {
    const text = await (await fetch(`${api.opsUrl}/metrics`)).text();
    assert.match(text, /vote_ballots_total\{outcome="email_not_verified",reason="",service="vote-api"\} [1-9]/);
    assert.match(text, /vote_ballots_total\{outcome="not_eligible",reason="",service="vote-api"\} [1-9]/);
  });
});
