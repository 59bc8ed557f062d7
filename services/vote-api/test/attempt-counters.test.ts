import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createLogger, createRedis, type RedisClient } from '@onevote/platform';
import { freePort } from '@onevote/stack';
import { testInfra, testRedisCluster, uniqueName } from '@onevote/stack/testing';
import { AttemptCounters } from '../src/adapters/attempt-counters.ts';
import { VotedHints } from '../src/adapters/voted-hints.ts';

// The same tests on one Redis and on a Redis Cluster (issue 18): each script call's keys share a
// hash tag, so a call never spans two slots, wherever the keys land.
const topologies = [
  { name: 'one Redis', url: async () => (await testInfra()).redisUrl, away: (port: number) => `redis://127.0.0.1:${port}` },
  {
    name: 'a Redis Cluster',
    url: async () => (await testRedisCluster()).url,
    away: (port: number) => `redis-cluster://127.0.0.1:${port}`,
  },
];

for (const topology of topologies) describe(`AttemptCounters (real Redis: ${topology.name})`, () => {
  let redis: RedisClient;
  let prefix: string;
  let counters: AttemptCounters;
  const options = { rateWindowSeconds: 10, riskWindowSeconds: 3600, deadlineMs: 1000 };

  before(async () => {
    redis = createRedis(await topology.url(), createLogger('test', 'silent'));
    prefix = `${uniqueName('counters')}:`;
    counters = new AttemptCounters(redis, { prefix, ...options });
  });
  after(() => redis.disconnect());

  const attempt = (over: Partial<{ ip: string; voterId: string; jkt: string; electionId: string }> = {}) => ({
    ip: '203.0.113.7',
    voterId: randomUUID(),
    jkt: randomUUID(),
    electionId: randomUUID(),
    ...over,
  });

  test('counts requests per IP, voter and key, each in a window that starts at its first request', async () => {
    const a = attempt({ ip: '198.51.100.1' });
    const first = await counters.count(a);
    const second = await counters.count(a);
    const other = await counters.count(attempt({ ip: '198.51.100.1' }));
    assert.ok(first && second && other);
    assert.deepEqual(
      [first.requests.ip.count, first.requests.voter.count, first.requests.key.count],
      [1, 1, 1],
    );
    assert.deepEqual(
      [second.requests.ip.count, second.requests.voter.count, second.requests.key.count],
      [2, 2, 2],
    );
    // Same IP, another voter and key.
    assert.deepEqual(
      [other.requests.ip.count, other.requests.voter.count, other.requests.key.count],
      [3, 1, 1],
    );
    for (const w of [second.requests.ip, second.requests.voter, second.requests.key]) {
      assert.ok(w.msLeft > 0 && w.msLeft <= options.rateWindowSeconds * 1000, `msLeft ${w.msLeft}`);
    }
    assert.ok(second.ipVelocity.msLeft > options.rateWindowSeconds * 1000, 'the risk window is the longer one');
    assert.equal(other.ipVelocity.count, 3);
    // The counters expire with their windows.
    const ttl = await redis.pttl(`${prefix}rl:voter:{${a.voterId}}`);
    assert.ok(ttl > 0 && ttl <= 10_000, `ttl ${ttl}`);
  });

  test('counts distinct voters per DPoP key and per network, not requests', async () => {
    const jkt = randomUUID();
    const ip = '192.0.2.10';
    const voters = [randomUUID(), randomUUID(), randomUUID()];
    let last;
    for (const voterId of [...voters, voters[0]!, voters[1]!]) last = await counters.count(attempt({ jkt, voterId, ip }));
    assert.equal(last?.votersPerKey.count, 3);
    assert.equal(last?.votersPerSubnet.count, 3);
    // Another address of the same /24 is the same network; another key is not the same key.
    const neighbour = await counters.count(attempt({ ip: '192.0.2.99' }));
    assert.equal(neighbour?.votersPerSubnet.count, 4);
    assert.equal(neighbour?.votersPerKey.count, 1);
  });

  test('reads the "already voted" hint written after a commit', async () => {
    const a = attempt();
    assert.equal((await counters.count(a))?.hint, undefined);
    const receiptId = randomUUID();
    const countedAt = new Date();
    new VotedHints(redis, { prefix, ttlSeconds: 60 }).record([
      { electionId: a.electionId, voterId: a.voterId, receiptId, idempotencyKey: 'key-1', countedAt },
    ]);
    const seen = await counters.count(a);
    assert.deepEqual(seen?.hint, { receiptId, countedAt: countedAt.toISOString(), idempotencyKey: 'key-1' });
    // Another election of the same voter has no hint.
    assert.equal((await counters.count({ ...a, electionId: randomUUID() }))?.hint, undefined);
  });

  test('without Redis the counts are unknown, within the deadline', async () => {
    const away = createRedis(topology.away(await freePort()), createLogger('test', 'silent'));
    try {
      const blind = new AttemptCounters(away, { prefix, ...options, deadlineMs: 200 });
      const started = Date.now();
      assert.equal(await blind.count(attempt()), undefined);
      assert.ok(Date.now() - started < 2000);
    } finally {
      away.disconnect();
    }
  });
});
