import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { testInfra, uniqueName } from '@onevote/stack/testing';
import { Redis } from 'ioredis';
import { solveAltcha } from '../src/client.ts';
import { AltchaChallenges, RedisReplayStore } from '../src/index.ts';

describe('ALTCHA challenges', () => {
  let redis: Redis;
  let replicaA: AltchaChallenges;
  let replicaB: AltchaChallenges;
  const hmacKey = 'k'.repeat(32);

  before(async () => {
    redis = new Redis((await testInfra()).redisUrl);
    const replay = new RedisReplayStore(redis, `${uniqueName('altcha')}:`);
    const options = { hmacKey, cost: 10, keyPrefixLength: 1, expiresInSeconds: 60, replay };
    replicaA = new AltchaChallenges(options);
    replicaB = new AltchaChallenges(options);
  });
  after(() => redis.disconnect());

  test('a solved challenge is accepted once; reused sequentially it is refused', async () => {
    const payload = await solveAltcha(await replicaA.create());
    await replicaA.verify(payload);
    await assert.rejects(replicaB.verify(payload), { code: 'challenge_failed' });
  });

  test('reused concurrently on two replicas, it is accepted exactly once', async () => {
    const payload = await solveAltcha(await replicaA.create());
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? replicaA : replicaB).verify(payload)),
    );
    assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1);
  });

  test('a wrong solution, a foreign signature, an expired challenge and garbage are refused', async () => {
    const challenge = await replicaA.create();
    const good = JSON.parse(Buffer.from(await solveAltcha(challenge), 'base64').toString());
    const wrong = { ...good, solution: { ...good.solution, counter: good.solution.counter + 1 } };
    const foreign = new AltchaChallenges({
      hmacKey: 'z'.repeat(32),
      cost: 10,
      keyPrefixLength: 1,
      expiresInSeconds: 60,
      replay: new RedisReplayStore(redis, `${uniqueName('altcha')}:`),
    });
    const expired = new AltchaChallenges({
      hmacKey,
      cost: 10,
      keyPrefixLength: 1,
      expiresInSeconds: -120 as number,
      replay: new RedisReplayStore(redis, `${uniqueName('altcha')}:`),
    });
    const encode = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64');
    for (const [name, payload] of [
      ['wrong solution', encode(wrong)],
      ['foreign signature', await solveAltcha(await foreign.create())],
      ['expired', await solveAltcha(await expired.create())],
      ['not base64 JSON', 'definitely-not'],
      ['missing solution', encode({ challenge })],
    ] as const) {
      await assert.rejects(replicaA.verify(payload), { code: 'challenge_failed' }, name);
    }
  });
});
