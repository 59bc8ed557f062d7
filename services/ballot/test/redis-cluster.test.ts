/**
 * ballot's Redis copy of the voter rolls on a real Redis Cluster (issue 18): built in a copy and
 * swapped in with a MULTI of RENAME + PERSIST, which is only legal on a cluster because the copy
 * and the live set share the election's hash tag. Elections on every primary; no command refused
 * as cross-slot; nothing left behind.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { rollRedisKey, rollSentinel } from '@onevote/contracts';
import { createLogger, createRedis, type RedisClient } from '@onevote/platform';
import { clusterErrorCounts, initialPrimaryOf, keySlots } from '@onevote/stack';
import { testRedisCluster } from '@onevote/stack/testing';
import type { Cluster } from 'ioredis';
import { RollSet } from '../src/adapters/roll-set.ts';


async function* batches(members: string[], size: number) {
  for (let i = 0; i < members.length; i += size) yield members.slice(i, i + size);
}
const hashes = (n: number) => Array.from({ length: n }, () => randomUUID().replaceAll('-', '').slice(0, 22));

describe('voter rolls on a Redis Cluster', { concurrency: false }, () => {
  let redis: RedisClient;
  let ports: number[];

  before(async () => {
    const cluster = await testRedisCluster();
    ports = cluster.ports;
    redis = createRedis(cluster.url, createLogger('test', 'silent'));
  });
  after(() => redis?.disconnect());

  test('rolls are built and swapped in on whichever primary the election is on', async () => {
    const rolls = new RollSet(redis);
    const elections = (await electionsOnEveryPrimary(4)).map((id) => ({ id, v1: hashes(30), v2: hashes(20) }));
    await Promise.all(elections.map((e) => rolls.load(e.id, 1, batches(e.v1, 7))));
    for (const e of elections) {
      assert.equal(await rolls.holds(e.id, 1), true);
      assert.equal(await rolls.holds(e.id, 2), false);
      const members = await redis.smembers(rollRedisKey(e.id));
      assert.deepEqual(members.sort(), [...e.v1, rollSentinel.loaded, rollSentinel.version(1)].sort());
      assert.equal(await redis.ttl(rollRedisKey(e.id)), -1, 'the live set does not expire');
    }
    // A new upload replaces the roll whole.
    await Promise.all(elections.map((e) => rolls.load(e.id, 2, batches(e.v2, 7))));
    for (const e of elections) {
      assert.equal(await rolls.holds(e.id, 2), true);
      const members = await redis.smembers(rollRedisKey(e.id));
      assert.deepEqual(members.sort(), [...e.v2, rollSentinel.loaded, rollSentinel.version(2)].sort());
    }
    const slots = await keySlots(ports[0]!, elections.map((e) => rollRedisKey(e.id)));
    assert.equal(new Set(slots.map(initialPrimaryOf)).size, 3, 'the rolls are on all three primaries');
    // No building copy is left on any primary.
    for (const node of (redis as Cluster).nodes('master')) {
      for (const e of elections) assert.deepEqual(await node.keys(rollRedisKey(e.id, '*')), []);
    }
  });

  /** `perPrimary` election ids whose roll is on each of the three primaries' slot ranges. */
  async function electionsOnEveryPrimary(perPrimary: number): Promise<string[]> {
    const chosen: string[][] = [[], [], []];
    while (chosen.some((ids) => ids.length < perPrimary)) {
      const id = randomUUID();
      const [slot] = await keySlots(ports[0]!, [rollRedisKey(id)]);
      const ids = chosen[initialPrimaryOf(slot!)]!;
      if (ids.length < perPrimary) ids.push(id);
    }
    return chosen.flat();
  }

  test('no node refused a command as cross-slot', async () => {
    assert.equal((await clusterErrorCounts(ports)).CROSSSLOT ?? 0, 0);
  });
});
