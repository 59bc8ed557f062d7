/**
 * The Redis adapters of @onevote/auth on a real Redis Cluster (issue 18): the replay store (DPoP
 * `jti`s, ALTCHA solutions) and the revocation list (one MGET of a subject's two keys), with keys
 * spread over every primary. Correct answers, and no command refused as cross-slot.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createLogger, createRedis, type RedisClient } from '@onevote/platform';
import { clusterErrorCounts, initialPrimaryOf, keySlots } from '@onevote/stack';
import { testRedisCluster, uniqueName } from '@onevote/stack/testing';
import { solveAltcha } from '../src/client.ts';
import { AltchaChallenges, RedisReplayStore, RedisRevocationList } from '../src/index.ts';


describe('@onevote/auth on a Redis Cluster', { concurrency: false }, () => {
  let redis: RedisClient;
  let ports: number[];
  let prefix: string;

  before(async () => {
    const cluster = await testRedisCluster();
    ports = cluster.ports;
    redis = createRedis(cluster.url, createLogger('test', 'silent'));
    prefix = `${uniqueName('auth')}:`;
  });
  after(() => redis?.disconnect());

  test('the replay store accepts each value once, whichever primary its key is on', async () => {
    const store = new RedisReplayStore(redis, `${prefix}replay:`);
    const values = Array.from({ length: 30 }, () => randomUUID());
    assert.deepEqual(await Promise.all(values.map((v) => store.claim(v, 60))), values.map(() => true));
    assert.deepEqual(await Promise.all(values.map((v) => store.claim(v, 60))), values.map(() => false));
    const slots = await keySlots(ports[0]!, values.map((v) => `${prefix}replay:${v}`));
    assert.equal(new Set(slots.map(initialPrimaryOf)).size, 3, 'the keys are on all three primaries');
  });

  test('the revocation list reads a subject\'s token and "before" keys in one MGET, on any slot', async () => {
    const list = new RedisRevocationList(redis, `${prefix}revoked:`);
    const issuer = 'https://id.onevote.test';
    const now = Math.floor(Date.now() / 1000);
    const subjects = Array.from({ length: 12 }, () => randomUUID());
    for (const [i, subject] of subjects.entries()) {
      // Even subjects: one token revoked; odd subjects: every token issued until now.
      if (i % 2 === 0) await list.revokeToken({ issuer, subject, tokenId: `jti-${i}`, expiresAt: now + 300 });
      else await list.revokeAllBefore(issuer, subject, 600);
    }
    for (const [i, subject] of subjects.entries()) {
      const revoked = (tokenId: string, issuedAt: number) => list.isRevoked({ issuer, subject, tokenId, issuedAt });
      if (i % 2 === 0) {
        assert.equal(await revoked(`jti-${i}`, now), true, 'the revoked token');
        assert.equal(await revoked('another', now), false, 'another token of the subject');
      } else {
        assert.equal(await revoked('old', now - 10), true, 'a token issued before');
        assert.equal(await revoked('new', now + 10), false, 'a token issued after');
      }
    }
    // The subjects' keys are spread over the cluster (each subject's pair on one slot of its own).
    const tags = subjects.map((s) => `${prefix}revoked:{${issuer}|${s}}:before`);
    assert.ok(new Set((await keySlots(ports[0]!, tags)).map(initialPrimaryOf)).size >= 2);
  });

  test('an ALTCHA solution is spent once across two replicas sharing the cluster', async () => {
    const spent = new RedisReplayStore(redis, `${prefix}altcha:`);
    const options = { hmacKey: 'k'.repeat(32), cost: 1, baseWork: 20, maxLevel: 4, expiresInSeconds: 60, spent };
    const [a, b] = [new AltchaChallenges(options), new AltchaChallenges(options)];
    for (let i = 0; i < 3; i++) {
      const payload = await solveAltcha(await a.create({ purpose: 'vote', level: 0 }));
      await b.verify(payload, { purpose: 'vote', minLevel: 0 });
      await assert.rejects(a.verify(payload, { purpose: 'vote', minLevel: 0 }), /already used/);
    }
  });

  test('no node refused a command as cross-slot', async () => {
    assert.equal((await clusterErrorCounts(ports)).CROSSSLOT ?? 0, 0);
  });
});
