/**
 * identity's Redis adapters on a real Redis Cluster (issue 18): the login throttle and the
 * registration counters (rate-limiter-flexible: a one-key script, MULTI of GET + PTTL on one key),
 * the limiters of the email codes and passkeys, and the pending WebAuthn challenges (GETDEL). Two
 * "replicas" (clients and adapters of their own) share every count, which shows it is Redis that
 * counts (rate-limiter-flexible would fall back to a per-process count without telling), with keys
 * on every primary and no command refused as cross-slot.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createLogger, createRedis, type RedisClient } from '@onevote/platform';
import { clusterErrorCounts, initialPrimaryOf, keySlots } from '@onevote/stack';
import { testRedisCluster, uniqueName } from '@onevote/stack/testing';
import { consumeOr429, countOf, limiter } from '../src/adapters/counters.ts';
import { LoginThrottle, type ThrottlePolicy } from '../src/adapters/login-throttle.ts';
import { RegistrationCounters } from '../src/adapters/registration-counters.ts';
import { WebauthnChallenges } from '../src/adapters/webauthn-challenges.ts';

/** 20 addresses in 20 different /24 networks. */
const addresses = Array.from({ length: 20 }, (_, i) => `198.18.${i}.${10 + i}`);

describe('identity on a Redis Cluster', { concurrency: false }, () => {
  let replicaA: RedisClient;
  let replicaB: RedisClient;
  let ports: number[];
  let prefix: string;

  before(async () => {
    const cluster = await testRedisCluster();
    ports = cluster.ports;
    replicaA = createRedis(cluster.url, createLogger('test', 'silent'));
    replicaB = createRedis(cluster.url, createLogger('test', 'silent'));
    prefix = `${uniqueName('identity')}:`;
  });
  after(() => {
    replicaA?.disconnect();
    replicaB?.disconnect();
  });

  test('the login throttle counts failures per account, network and address, shared by every replica', async () => {
    const policy: ThrottlePolicy = {
      prefix,
      windowSeconds: 600,
      lockoutSeconds: 60,
      maxPerIp: 3,
      maxPerSubnet: 100,
      challengesPerIpPerMinute: 2,
    };
    const [a, b] = [new LoginThrottle(replicaA, policy), new LoginThrottle(replicaB, policy)];
    for (const ip of addresses) {
      const email = `${randomUUID()}@example.test`;
      assert.deepEqual(await a.loginFailures(email, ip), { accountNetwork: 0, account: 0, ip: 0, subnet: 0 });
      assert.equal(await a.recordFailure(email, ip), 1);
      assert.equal(await b.recordFailure(email, ip), 2, 'the other replica sees the first failure');
      assert.deepEqual(await b.loginFailures(email, ip), { accountNetwork: 2, account: 2, ip: 2, subnet: 2 });
      // A success clears the account's failures from this network, not the address's.
      await a.recordSuccess(email, ip);
      assert.deepEqual(await b.loginFailures(email, ip), { accountNetwork: 0, account: 2, ip: 2, subnet: 2 });
      assert.deepEqual(await b.networkFailures(ip), { ip: 2, subnet: 2 });
    }
    // The address backstop: the 4th failure crosses maxPerIp and locks the address out, on every replica.
    const ip = addresses[0]!;
    assert.equal(await a.recordFailure(`${randomUUID()}@example.test`, ip), 1, 'the 3rd failure from the address passes');
    await assert.rejects(b.recordFailure(`${randomUUID()}@example.test`, ip), { code: 'rate_limited' });
    await assert.rejects(b.loginFailures(`${randomUUID()}@example.test`, ip), { code: 'rate_limited' });
    // Challenges per address per minute.
    await a.countChallenge(addresses[1]!);
    await b.countChallenge(addresses[1]!);
    await assert.rejects(a.countChallenge(addresses[1]!), { code: 'rate_limited' });
    const keys = addresses.map((address) => `${prefix}rl:login-ip:${address}`);
    assert.deepEqual(
      (await Promise.all(keys.slice(2).map((k) => replicaA.get(k)))).map(Number),
      keys.slice(2).map(() => 2),
      'the counts are in Redis',
    );
    assert.equal(new Set((await keySlots(ports[0]!, keys)).map(initialPrimaryOf)).size, 3, 'on all three primaries');
  });

  test('the registration counters count per address and network, then refuse past the caps', async () => {
    const caps = { prefix, windowSeconds: 3600, maxPerIp: 2, maxPerSubnet: 3 };
    const [a, b] = [new RegistrationCounters(replicaA, caps), new RegistrationCounters(replicaB, caps)];
    for (const ip of addresses.slice(0, 10)) {
      const neighbour = ip.replace(/\.\d+$/, '.200');
      await a.count(ip);
      await b.count(ip);
      assert.deepEqual(await a.volume(ip, { refuseWhenFull: false }), { ip: 2, subnet: 2 });
      await assert.rejects(b.volume(ip, { refuseWhenFull: true }), { code: 'rate_limited' });
      // Same /24: the network's count goes on; its own address is fresh.
      await a.count(neighbour);
      assert.deepEqual(await b.volume(neighbour, { refuseWhenFull: false }), { ip: 1, subnet: 3 });
      await assert.rejects(b.count(neighbour), { code: 'rate_limited' });
    }
  });

  test('the other limiters (email codes, passkey setups) count in Redis', async () => {
    const codesA = limiter(replicaA, { prefix, name: 'email-codes', points: 3, duration: 3600 });
    const codesB = limiter(replicaB, { prefix, name: 'email-codes', points: 3, duration: 3600 });
    const voters = Array.from({ length: 12 }, () => randomUUID());
    for (const voter of voters) {
      assert.equal(await consumeOr429(codesA, voter, 'too many'), 1);
      assert.equal(await consumeOr429(codesB, voter, 'too many'), 2);
      assert.equal(await consumeOr429(codesA, voter, 'too many'), 3);
      await assert.rejects(consumeOr429(codesB, voter, 'too many'), { code: 'rate_limited' });
      assert.equal(await countOf(codesA, voter), 4);
    }
    const slots = await keySlots(ports[0]!, voters.map((v) => `${prefix}rl:email-codes:${v}`));
    assert.ok(new Set(slots.map(initialPrimaryOf)).size >= 2);
  });

  test('a WebAuthn challenge is taken once, by whichever replica asks first', async () => {
    const options = { prefix, ttlSeconds: 60 };
    const [a, b] = [new WebauthnChallenges(replicaA, options), new WebauthnChallenges(replicaB, options)];
    for (let i = 0; i < 12; i++) {
      const voter = randomUUID();
      const challenge = randomUUID();
      await a.putRegistration(voter, `reg-${challenge}`);
      assert.equal(await b.takeRegistration(voter), `reg-${challenge}`);
      assert.equal(await a.takeRegistration(voter), undefined);
      await b.putLogin(challenge);
      const taken = await Promise.all([a.takeLogin(challenge), b.takeLogin(challenge)]);
      assert.deepEqual(taken.sort(), [false, true], 'exactly one replica takes it');
    }
  });

  test('no node refused a command as cross-slot', async () => {
    assert.equal((await clusterErrorCounts(ports)).CROSSSLOT ?? 0, 0);
  });
});
