import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { TokenIssuer } from '@onevote/auth/client';
import { freshDatabase } from '@onevote/stack/testing';
import { votedHintKey } from '../src/adapters/voted-hints.ts';
import { aBallot, anElection, aVoter, stored, startVoteApi, type VoteApiUnderTest, vote } from './harness.ts';

// The Redis "already voted" hint is only a fast path (ARCHITECTURE.md, Data): a hint PostgreSQL
// does not confirm — left from a restored database, a voided ballot or a deleted account — must
// never refuse a voter who has not voted, nor claim a ballot was counted (issue 14, item 12).
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

const staleHint = (electionId: string, voterId: string, idempotencyKey: string) =>
  api.redis.set(
    votedHintKey(api.config.REDIS_KEY_PREFIX, electionId, voterId),
    `${randomUUID()} 2026-01-01T00:00:00.000Z ${idempotencyKey}`,
  );

test('a stale hint naming another key does not refuse a voter who has not voted: the ballot is counted', async () => {
  const election = anElection();
  await api.publish(election);
  const voter = await aVoter(issuer);
  await staleHint(election.id, voter.voterId, randomUUID());
  const answer = await vote(api, voter, election.id, { selections: aBallot(election) });
  assert.equal(answer.status, 201, JSON.stringify(answer.body));
  assert.equal((await stored(api.admin, election.id)).ballots, 1);
  const [row] = await api.admin`select receipt_id from votes.ballots where election_id = ${election.id}`;
  assert.equal(answer.body.receiptId, row!.receipt_id);
});

test('a stale hint with the same Idempotency-Key does not answer "counted" for a ballot that is not stored', async () => {
  const election = anElection();
  await api.publish(election);
  const voter = await aVoter(issuer);
  const key = randomUUID();
  await staleHint(election.id, voter.voterId, key);
  const answer = await vote(api, voter, election.id, { selections: aBallot(election) }, key);
  assert.equal(answer.status, 201);
  const [row] = await api.admin`select receipt_id from votes.ballots where election_id = ${election.id}`;
  assert.ok(row, 'the ballot answered 201 is stored');
  assert.equal(answer.body.receiptId, row.receipt_id);
});

test('a true hint still answers a repeat from the stored row: 409 with the counted receipt', async () => {
  const election = anElection();
  await api.publish(election);
  const voter = await aVoter(issuer);
  const first = await vote(api, voter, election.id, { selections: aBallot(election) });
  assert.equal(first.status, 201);
  const again = await vote(api, voter, election.id, { selections: aBallot(election, 1) });
  assert.equal(again.status, 409);
  assert.equal(again.body.receiptId, first.body.receiptId);
  assert.equal((await stored(api.admin, election.id)).ballots, 1);
});
