/**
 * The private Redis Cluster (issue 18): 3 primaries + 3 replicas formed by redis-cli, the
 * cluster-aware client services get for a `redis-cluster://` URL, and the handles fault tests use
 * (a primary killed with -9: its replica takes over; the old primary comes back as a replica).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createLogger, createRedis, type RedisClient } from '@onevote/platform';
import { clusterErrorCounts, initialPrimaryOf, keySlots, RedisCluster, redisCall } from '../src/index.ts';
import { testDir, waitFor } from '../src/testing.ts';

describe('RedisCluster', { concurrency: false }, () => {
  let cluster: RedisCluster;
  let redis: RedisClient;

  before(async () => {
    cluster = await RedisCluster.create(testDir('redis-cluster'));
    await cluster.start();
    redis = createRedis(cluster.url, createLogger('test', 'silent'));
  });
  after(async () => {
    redis?.disconnect();
    await cluster?.stop();
  });

  test('forms 3 primaries, each with one replica, serving all 16384 slots; the URL names all 6 nodes', async () => {
    const nodes = await cluster.nodes();
    const primaries = nodes.filter((n) => n.role === 'primary');
    assert.equal(nodes.length, 6);
    assert.equal(primaries.length, 3);
    assert.equal(primaries.reduce((sum, p) => sum + p.slots, 0), 16_384);
    for (const p of primaries) {
      assert.equal(p.replicas.length, 1, `primary ${p.index} has one replica`);
      assert.equal(nodes[p.replicas[0]!]!.primary, p.index);
    }
    for (const port of cluster.ports) {
      assert.match(String(await redisCall(port, ['CLUSTER', 'INFO'])), /cluster_state:ok/);
    }
    assert.equal(cluster.url, `redis-cluster://${cluster.ports.map((p) => `127.0.0.1:${p}`).join(',')}`);
  });

  test('keeps nothing on disk but nodes.conf', async () => {
    for (let i = 0; i < 6; i++) {
      const files = readdirSync(join(cluster.dir, `node-${i}`)).filter((f) => !/\.(log|out|pid)$/.test(f));
      assert.deepEqual(files, ['nodes.conf'], `node ${i} keeps ${files.join(', ')}`);
    }
  });

  test('createRedis gives services a cluster client that routes every key to its slot', async () => {
    assert.equal(redis.isCluster, true, 'an ioredis Cluster');
    const keys = Array.from({ length: 60 }, (_, i) => `routing:${i}`);
    await Promise.all(keys.map((k, i) => redis.set(k, String(i))));
    assert.deepEqual(await Promise.all(keys.map((k) => redis.get(k))), keys.map((_, i) => String(i)));
    // The keys are spread over every primary (the slot ranges redis-cli gave them: thirds).
    const thirds = new Set((await keySlots(cluster.ports[0]!, keys)).map((slot) => initialPrimaryOf(slot)));
    assert.equal(thirds.size, 3);
    for (const p of (await cluster.nodes()).filter((n) => n.role === 'primary')) {
      assert.ok(Number(await redisCall(p.port, ['DBSIZE'])) > 0, `primary ${p.index} holds keys`);
    }
  });

  test('a primary killed with -9: its replica takes over, the client follows, the old primary rejoins as a replica', async () => {
    // A key on the slot range of primary 1, on its replica too before the kill (replication is async).
    const key = `failover:{${await keyOnThird(1)}}`;
    await redis.set(key, 'before');
    const serving = (await cluster.nodes()).filter((n) => n.role === 'primary').sort((a, b) => a.firstSlot - b.firstSlot)[1]!;
    const replica = (await cluster.nodes())[serving.replicas[0]!]!;
    const offset = (port: number) =>
      redisCall(port, ['INFO', 'replication']).then((info) => Number(/master_repl_offset:(\d+)/.exec(String(info))?.[1]));
    const written = await offset(serving.port);
    await waitFor('the replica to have the write', async () => (await offset(replica.port)) >= written);
    const killed = await cluster.killPrimary(1);
    const killedAt = Date.now();
    assert.equal(killed.index, serving.index);
    assert.deepEqual(killed.replicas, [replica.index]);
    await cluster.waitUntilOk();
    const failoverMs = Date.now() - killedAt;
    const nodes = await cluster.nodes();
    const heir = nodes[killed.replicas[0]!]!;
    assert.equal(heir.role, 'primary', 'the replica took over');
    assert.equal(heir.firstSlot, killed.firstSlot, 'with the killed primary\'s slots');
    // The client finds the new primary by itself (a MOVED or the periodic slot refresh).
    await waitFor('the client to read the key on the new primary', async () => (await redis.get(key)) === 'before', { timeoutMs: 20_000 });
    await redis.set(key, 'after');
    assert.equal(await redis.get(key), 'after');

    await cluster.restart(killed.index);
    await cluster.waitUntilComplete();
    const back = (await cluster.nodes())[killed.index]!;
    assert.equal(back.role, 'replica');
    assert.equal(back.primary, heir.index, 'the old primary now replicates its heir');
    process.stdout.write(`# failover (kill -9 to every node serving all slots): ${failoverMs} ms\n`);
    // Slots were never served by two primaries: no client command was refused as cross-slot.
    assert.equal((await clusterErrorCounts(cluster.ports)).CROSSSLOT ?? 0, 0);
  });

  test('stop ends every node', async () => {
    const ports = cluster.ports;
    await cluster.stop();
    assert.deepEqual(cluster.pids, []);
    for (const port of ports) await assert.rejects(redisCall(port, ['PING'], 500));
    assert.ok(existsSync(join(cluster.dir, 'node-0', 'nodes.conf')));
  });

  /** A hash-tag value whose slot is in the `third`-th range (the range primary `third` serves). */
  async function keyOnThird(third: number): Promise<string> {
    for (let i = 0; ; i++) {
      const [slot] = await keySlots(cluster.ports[0]!, [`t${i}`]);
      if (initialPrimaryOf(slot!) === third) return `t${i}`;
    }
  }

});
