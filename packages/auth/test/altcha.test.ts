import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { testInfra, uniqueName } from '@onevote/stack/testing';
import { createChallenge } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/sha';
import { Redis } from 'ioredis';
import { solveAltcha } from '../src/client.ts';
import { AltchaChallenges, type AltchaOptions, RedisReplayStore } from '../src/index.ts';

const hmacKey = 'k'.repeat(32);
const encode = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64');
const decode = (payload: string) => JSON.parse(Buffer.from(payload, 'base64').toString());

describe('ALTCHA challenges', () => {
  let redis: Redis;
  let options: AltchaOptions;
  let replicaA: AltchaChallenges;
  let replicaB: AltchaChallenges;
  const vote = { purpose: 'vote', minLevel: 0 } as const;

  before(async () => {
    redis = new Redis((await testInfra()).redisUrl);
    const spent = new RedisReplayStore(redis, `${uniqueName('altcha')}:`);
    options = { hmacKey, cost: 1, baseWork: 20, maxLevel: 10, expiresInSeconds: 60, spent };
    replicaA = new AltchaChallenges(options);
    replicaB = new AltchaChallenges(options);
  });
  after(() => redis.disconnect());

  describe('the issued challenge', () => {
    test('is deterministic: a secret counter, half the derived key as prefix, a key signature, purpose and level signed in', async () => {
      const challenge = await replicaA.create({ purpose: 'register', level: 3 });
      const p = challenge.parameters;
      assert.equal(p.algorithm, 'SHA-256');
      assert.equal(p.cost, 1);
      // Deterministic mode: 16 bytes of the derived key, not altcha's random-mode '00'.
      assert.match(p.keyPrefix, /^[0-9a-f]{32}$/);
      assert.match(p.keySignature ?? '', /^[0-9a-f]{64}$/);
      assert.deepEqual(p.data, { purpose: 'register', level: 3, expectedAttempts: 160, maxAttempts: 320 });
      assert.match(challenge.signature ?? '', /^[0-9a-f]{64}$/);
      assert.ok(p.expiresAt! > Date.now() / 1000);
    });

    test('its counter stays below 2 × base work × 2^level and averages the expected attempts', async () => {
      for (const level of [0, 2, 4]) {
        const max = 2 * 20 * 2 ** level;
        const counters: number[] = [];
        for (let i = 0; i < 60; i++) {
          const solved = decode(await solveAltcha(await replicaA.create({ purpose: 'vote', level })));
          counters.push(solved.solution.counter);
        }
        assert.ok(Math.max(...counters) < max, `level ${level}: a counter of ${Math.max(...counters)} >= ${max}`);
        const mean = counters.reduce((a, b) => a + b, 0) / counters.length;
        // Uniform on [0, max): the mean of 60 draws has a standard deviation of max/√720, so max/4
        // is 6.7 of them (a chance near 1e-11 of a false alarm).
        assert.ok(Math.abs(mean - max / 2) < max / 4, `level ${level}: mean counter ${mean}, range ${max}`);
      }
    });

    test('a level above the maximum is issued at the maximum', async () => {
      const challenge = await replicaA.create({ purpose: 'login', level: 99 });
      assert.equal(challenge.parameters.data?.level, 10);
      assert.equal(challenge.parameters.data?.maxAttempts, 2 * 20 * 2 ** 10);
    });

    test('settings whose counter range exceeds 32 bits are refused at start-up', () => {
      assert.throws(() => new AltchaChallenges({ ...options, baseWork: 1_000_000, maxLevel: 12 }), /2\^31/);
    });
  });

  describe('verifying', () => {
    test('checks the key signature only: a solution with the right key is accepted whatever counter it names', async () => {
      // altcha-lib's fast path (4a): one HMAC over the derived key. If the key were derived again
      // from the counter, the wrong counter would make the key mismatch and the solution fail.
      const good = decode(await solveAltcha(await replicaA.create({ purpose: 'vote', level: 0 })));
      const otherCounter = { ...good, solution: { ...good.solution, counter: good.solution.counter + 1 } };
      await replicaA.verify(encode(otherCounter), vote);
    });

    test('a challenge without a key signature (altcha random mode), even signed with our key, is refused', async () => {
      const random = await createChallenge({
        algorithm: 'SHA-256',
        cost: 1,
        deriveKey,
        hmacSignatureSecret: hmacKey,
        data: { purpose: 'vote', level: 10 },
        expiresAt: new Date(Date.now() + 60_000),
      });
      await assert.rejects(replicaA.verify(await solveAltcha(random), vote), {
        code: 'challenge_failed',
        detail: 'the challenge was not issued here',
      });
    });

    test('a solved challenge is accepted once; reused sequentially it is refused', async () => {
      const payload = await solveAltcha(await replicaA.create());
      await replicaA.verify(payload, vote);
      await assert.rejects(replicaB.verify(payload, vote), { code: 'challenge_failed' });
    });

    test('reused concurrently on two replicas, it is accepted exactly once', async () => {
      const payload = await solveAltcha(await replicaA.create());
      const outcomes = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => (i % 2 ? replicaA : replicaB).verify(payload, vote)),
      );
      assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1);
    });

    test('a challenge below the required level is refused with the level to fetch, and stays unspent', async () => {
      const easy = await solveAltcha(await replicaA.create({ purpose: 'login', level: 1 }));
      await assert.rejects(replicaA.verify(easy, { purpose: 'login', minLevel: 3 }), (err: unknown) => {
        const e = err as { code: string; extra: { challengeLevel: number }; detail: string };
        assert.equal(e.code, 'challenge_failed');
        assert.deepEqual(e.extra, { challengeLevel: 3 });
        assert.match(e.detail, /purpose=login&level=3/);
        return true;
      });
      await replicaA.verify(easy, { purpose: 'login', minLevel: 1 });
      const hard = await solveAltcha(await replicaA.create({ purpose: 'login', level: 4 }));
      await replicaA.verify(hard, { purpose: 'login', minLevel: 3 });
    });

    test('a lower level cannot be passed off as a higher one: editing the signed level breaks the signature', async () => {
      const easy = decode(await solveAltcha(await replicaA.create({ purpose: 'vote', level: 0 })));
      easy.challenge.parameters.data.level = 5;
      await assert.rejects(replicaA.verify(encode(easy), { purpose: 'vote', minLevel: 5 }), {
        code: 'challenge_failed',
        detail: 'the challenge was not issued here',
      });
    });

    test('a challenge is good only for its purpose; one issued for any purpose is good for each', async () => {
      const forLogin = await solveAltcha(await replicaA.create({ purpose: 'login', level: 0 }));
      await assert.rejects(replicaA.verify(forLogin, { purpose: 'register', minLevel: 0 }), {
        code: 'challenge_failed',
        detail: 'the challenge was issued for login, not register',
      });
      await replicaA.verify(forLogin, { purpose: 'login', minLevel: 0 });
      for (const purpose of ['register', 'login', 'vote'] as const) {
        await replicaA.verify(await solveAltcha(await replicaA.create({ purpose: 'any', level: 0 })), {
          purpose,
          minLevel: 0,
        });
      }
    });

    test('a wrong key, a foreign signature, an expired challenge and garbage are refused', async () => {
      const challenge = await replicaA.create();
      const good = decode(await solveAltcha(challenge));
      const wrongKey = {
        ...good,
        solution: { ...good.solution, derivedKey: good.solution.derivedKey.replace(/^./, (c: string) => (c === '0' ? '1' : '0')) },
      };
      const foreign = new AltchaChallenges({ ...options, hmacKey: 'z'.repeat(32) });
      const expired = new AltchaChallenges({ ...options, expiresInSeconds: -120 as number });
      for (const [name, payload] of [
        ['wrong key', encode(wrongKey)],
        ['foreign signature', await solveAltcha(await foreign.create())],
        ['expired', await solveAltcha(await expired.create())],
        ['not base64 JSON', 'definitely-not'],
        ['missing solution', encode({ challenge })],
      ] as const) {
        await assert.rejects(replicaA.verify(payload, vote), { code: 'challenge_failed' }, name);
      }
    });
  });
});
