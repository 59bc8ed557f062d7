/**
 * The stack on a Redis Cluster (issue 18): every service boots with a `redis-cluster://` REDIS_URL
 * and a ballot through the gateway is counted once; then "Must show" 1, under load: a Redis
 * primary killed with -9, its replica takes over, answers are only 201/409/503 (no other 5xx),
 * nothing lost, nothing counted twice (the checks of src/checks.ts), and the killed node rejoins.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  audienceOnOneAddress,
  BenchIssuer,
  createOpenElection,
  dpopProof,
  provisionVoters,
  type Voter,
} from '@onevote/bench';
import { createLogger, createRedis } from '@onevote/platform';
import { clusterErrorCounts, initialPrimaryOf, keySlots } from '@onevote/stack';
import { startTestStack, testInfraWithRedisCluster } from '@onevote/stack/testing';
import { scenario, sleep } from '../src/checks.ts';

test('the stack on a Redis Cluster: a ballot is 201, the same key again the same 201, another key 409 (API.md)', async (t) => {
  const issuer = await BenchIssuer.start();
  t.after(() => issuer.stop());
  // Stopped when this test ends (startTestStack's own hook), before the fault scenario starts.
  const stack = await startTestStack({
    infra: await testInfraWithRedisCluster(),
    seed: false,
    extraIssuers: [issuer.trustEntry],
    extraEnv: audienceOnOneAddress,
  });
  const cluster = stack.infra.servers.redisCluster!;
  for (const s of stack.services.values()) {
    if (s.env.REDIS_URL) assert.equal(s.env.REDIS_URL, cluster.url, `${s.def.name} has the cluster's URL`);
  }
  const election = await createOpenElection(stack.gatewayUrl, issuer);

  /** One POST of a ballot with the given Idempotency-Key. */
  const vote = async (voter: Voter, idempotencyKey: string) => {
    const url = `${stack.gatewayUrl}/v1/elections/${election.id}/votes`;
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        authorization: voter.authorization,
        dpop: dpopProof(voter.key, 'POST', url, voter.ath),
        'content-type': 'application/json',
        'idempotency-key': idempotencyKey,
      },
      body: JSON.stringify({ selections: [{ questionId: election.questionId, optionIds: [election.optionIds[0]!] }] }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  const voters = provisionVoters(issuer, 6, 'onevote', 600);
  for (const voter of voters) {
    const key = crypto.randomUUID();
    // No retries (as castBallot would do on a 503): on a healthy cluster the first answer is final.
    const first = await vote(voter, key);
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const again = await vote(voter, key);
    assert.equal(again.status, 201);
    assert.deepEqual(again.body, first.body);
    const other = await vote(voter, crypto.randomUUID());
    assert.equal(other.status, 409);
    assert.equal(other.body.code, 'already_voted');
    assert.equal(other.body.receiptId, first.body.receiptId);
  }
  // The vote path used the cluster: each voter's "already voted" hint is there (vote-api's
  // default prefix), the voters' slots on more than one primary.
  const redis = createRedis(cluster.url, createLogger('test', 'silent'));
  try {
    for (const voter of voters) {
      const hint = await redis.get(`vote:voted:${election.id}:{${voter.voterId}}`);
      assert.match(hint ?? '', /^\S+ \S+ \S+$/, 'the hint: receipt, countedAt, Idempotency-Key');
    }
  } finally {
    redis.disconnect();
  }
  const slots = await keySlots(cluster.ports[0]!, voters.map((v) => `{${v.voterId}}`));
  assert.ok(new Set(slots.map(initialPrimaryOf)).size >= 2);
  assert.equal((await clusterErrorCounts(cluster.ports)).CROSSSLOT ?? 0, 0);
});

describe('faults under load on a Redis Cluster (issue 18)', { concurrency: false }, () => {
  test('1. a Redis primary killed with -9: its replica takes over; only 503s; nothing lost or counted twice', async () => {
    const measured: { failoverMs?: number; rejoinedMs?: number; killedPort?: number } = {};
    const result = await scenario({
      name: 'Redis Cluster primary kill -9 (replica takes over), restarted',
      cluster: { redis: true },
      loadSeconds: 14,
      faultAt: 3,
      rate: 150,
      fault: async ({ stack }) => {
        const cluster = stack.infra.servers.redisCluster!;
        // The primary of the load's client address (every ballot's per-IP counters are on it),
        // so the whole load feels the kill, not a third of it.
        const [slot] = await keySlots(cluster.ports[0]!, ['{127.0.0.1}']);
        const killed = await cluster.killPrimary(initialPrimaryOf(slot!));
        const killedAt = Date.now();
        measured.killedPort = killed.port;
        await cluster.waitUntilOk();
        measured.failoverMs = Date.now() - killedAt;
        const heir = (await cluster.nodes())[killed.replicas[0]!]!;
        assert.equal(heir.role, 'primary', 'the replica took over');
        assert.equal(heir.firstSlot, killed.firstSlot);
        await sleep(2000); // the load runs on the cluster without the killed node for 2 s
        await cluster.restart(killed.index);
        await cluster.waitUntilComplete();
        measured.rejoinedMs = Date.now() - killedAt;
        const back = (await cluster.nodes())[killed.index]!;
        assert.equal(back.role, 'replica', 'the killed primary rejoined as a replica');
      },
    });
    const { verification: _v, load: _l, ...row } = result;
    process.stdout.write(`# ${JSON.stringify({ ...measured, ...row })}\n`);
    // The failures were all 503 (checks.ts asserts no other 5xx): no 500, no refused connection.
    assert.deepEqual(Object.keys(result.errors).filter((status) => status !== '503'), [], JSON.stringify(result.errors));
    assert.ok(measured.failoverMs !== undefined);
  });
});
