import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TokenIssuer } from '@onevote/auth/client';
import { freePort, RedisServer } from '@onevote/stack';
import { freshDatabase, testDir } from '@onevote/stack/testing';
import { Redis } from 'ioredis';
import {
  aBallot,
  anElection,
  aVoter,
  stored,
  startVoteApi,
  type VoteAnswer,
  type VoteApiUnderTest,
  voteUntilAnswered,
} from './harness.ts';

describe('Redis is only a fast path', () => {
  let redisServer: RedisServer;
  let redis: Redis;
  let issuer: TokenIssuer;
  let api: VoteApiUnderTest;

  before(async () => {
    // A private Redis: flushing the shared one would disturb other test files.
    redisServer = new RedisServer(testDir('redis-loss'), await freePort());
    await redisServer.start();
    redis = new Redis(redisServer.url);
    issuer = await TokenIssuer.start();
    const db = await freshDatabase();
    api = await startVoteApi({
      issuer,
      databaseUrl: db.urls['vote-api']!,
      adminUrl: db.adminUrl,
      redisUrl: redisServer.url,
    });
  });
  after(async () => {
    await api.stop();
    await issuer.stop();
    redis.disconnect();
    await redisServer.stop();
  });

  test('flushed in the middle of a run: still exactly one counted ballot per voter and exact tallies', async () => {
    const election = anElection();
    await api.publish(election);
    const voters = await Promise.all(Array.from({ length: 50 }, () => aVoter(issuer)));
    const wave = () =>
      Promise.all(
        voters.flatMap((voter, i) =>
          Array.from({ length: 5 }, async () => ({
            voter: voter.voterId,
            ...(await voteUntilAnswered(api, voter, election.id, { selections: aBallot(election, i) })),
          })),
        ),
      );

    const first = await wave();
    await redis.flushall();
    // And once more while the second wave is in flight.
    const [second] = await Promise.all([wave(), redis.flushall()]);

    const answers: (VoteAnswer & { voter: string })[] = [...first, ...second];
    const counted = answers.filter((a) => a.status === 201);
    assert.equal(counted.length, 50);
    assert.equal(answers.filter((a) => a.status === 409).length, 450);
    const receiptOf = new Map(counted.map((a) => [a.voter, a.body.receiptId]));
    assert.equal(receiptOf.size, 50);
    for (const a of answers.filter((x) => x.status === 409)) {
      assert.equal(a.body.receiptId, receiptOf.get(a.voter));
    }
    const db = await stored(api.admin, election.id);
    assert.equal(db.ballots, 50);
    assert.equal(db.totals, 50);
    const options = election.questions[0]!.options;
    assert.deepEqual(
      options.map((o) => db.tallies[o.id]),
      [17, 17, 16],
    );
  });
});
