/**
 * `createRedis` for the two kinds of REDIS_URL (issue 18): one server, or a Redis Cluster named by
 * its seed nodes (`redis-cluster://`, ElastiCache's cluster mode), against the real servers.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { testInfra, testRedisCluster, waitFor } from '@onevote/stack/testing';
import type { Cluster } from 'ioredis';
import { createLogger, createRedis, readiness, redisClusterSeeds } from '../src/index.ts';

const logger = createLogger('test', 'silent');

describe('redisClusterSeeds', () => {
  test('reads every seed node, the credentials and TLS from a cluster URL', () => {
    assert.deepEqual(redisClusterSeeds('redis-cluster://127.0.0.1:7000,127.0.0.1:7001,[::1]:7002'), {
      nodes: [
        { host: '127.0.0.1', port: 7000 },
        { host: '127.0.0.1', port: 7001 },
        { host: '::1', port: 7002 },
      ],
      tls: false,
    });
    assert.deepEqual(redisClusterSeeds('rediss-cluster://app:p%40ss@cfg.example.cache.amazonaws.com'), {
      nodes: [{ host: 'cfg.example.cache.amazonaws.com', port: 6379 }],
      username: 'app',
      password: 'p@ss',
      tls: true,
    });
  });

  test('is undefined for a single server and refuses a cluster URL without nodes', () => {
    assert.equal(redisClusterSeeds('redis://127.0.0.1:6379'), undefined);
    assert.equal(redisClusterSeeds('rediss://user:pw@host:6380/0'), undefined);
    assert.throws(() => redisClusterSeeds('redis-cluster://'), /names no node/);
  });
});

describe('createRedis', () => {
  test('a redis:// URL gives a plain client', async () => {
    const redis = createRedis((await testInfra()).redisUrl, logger);
    try {
      assert.equal(redis.isCluster, false);
      await readiness.redis(redis).check();
    } finally {
      redis.disconnect();
    }
  });

  test('a redis-cluster:// URL gives a cluster client that finds every node from one seed', async () => {
    const { url, ports } = await testRedisCluster();
    // One seed is enough: the client learns the rest of the cluster from it.
    const redis = createRedis(`redis-cluster://127.0.0.1:${ports[3]}`, logger);
    try {
      assert.equal(redis.isCluster, true);
      await readiness.redis(redis).check();
      const keys = Array.from({ length: 30 }, (_, i) => `seed-test:${i}`);
      await Promise.all(keys.map((k) => redis.set(k, k, 'EX', 60)));
      assert.deepEqual(await Promise.all(keys.map((k) => redis.get(k))), keys);
      await waitFor('the client to know every node', () => (redis as Cluster).nodes('all').length === url.split(',').length);
    } finally {
      redis.disconnect();
    }
  });
});
