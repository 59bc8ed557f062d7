/**
 * vote-api on two vote shard groups (issue 18): ballots routed by the shard map, each group with its
 * own queue and breaker (one down costs only its voters), fraud review across groups.
 */
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { DpopKey, type TestVoter, TokenIssuer } from '@onevote/auth/client';
import { type ElectionConfig, shardOf } from '@onevote/election-config';
import { freshShardedDatabase, testShardServers, waitFor } from '@onevote/stack/testing';
import postgres from 'postgres';
import { aBallot, anElection, aVoter, myVote, startVoteApi, stored, type VoteApiUnderTest, vote } from './harness.ts';

let issuer: TokenIssuer;
let api: VoteApiUnderTest;
let admin: TestVoter;
/** Superuser connections to the test database on shard group 0 and 1. */
let groups: postgres.Sql[];

before(async () => {
  issuer = await TokenIssuer.start();
  const db = await freshShardedDatabase(2);
  api = await startVoteApi({
    issuer,
    databaseUrl: db.urls[0]!['vote-api']!,
    adminUrl: db.adminUrls[0]!,
    env: {
      VOTE_SHARD_URLS: db.shardUrls['vote-api']!,
      // Small clusters: neither group alone reaches them in the review tests below.
      REVIEW_SUBNET_MIN_BALLOTS: '6',
      REVIEW_KEY_MIN_BALLOTS: '2',
      REVIEW_BURST_MIN_BALLOTS: '6',
    },
  });
  groups = db.adminUrls.map((url) => postgres(url, { max: 2, onnotice: () => {} }));
  admin = await aVoter(issuer, ['voter', 'admin']);
});
after(async () => {
  await api.stop();
  await issuer.stop();
  await Promise.all(groups.map((g) => g.end({ timeout: 1 })));
});

/** A voter id the shard map sends to `group` of 2. */
function voterIdOn(group: number): string {
  for (;;) {
    const id = randomUUID();
    if (shardOf(id, 2) === group) return id;
  }
}
const aVoterOn = (group: number, roles: ('voter' | 'admin')[] = ['voter']) => aVoter(issuer, roles, { voterId: voterIdOn(group) });

const ballotHash = (receiptId: string) => createHash('sha256').update(receiptId, 'utf8').digest('base64url');

async function ballotsOn(group: number, electionId: string) {
  return groups[group]!<{ voter_id: string; receipt_id: string }[]>`
    select voter_id, receipt_id::text from votes.ballots where election_id = ${electionId}`;
}

/** A ballot from `address` (loopback is a trusted proxy, so X-Forwarded-For is the client). */
async function voteFrom(election: ElectionConfig, voter: Pick<TestVoter, 'headers'>, address: string) {
  const url = `${api.base}/v1/elections/${election.id}/votes`;
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID(), 'x-forwarded-for': address, ...(await voter.headers('POST', url)) },
    body: JSON.stringify({ selections: aBallot(election) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function call(method: string, path: string, body?: unknown) {
  const url = `${api.base}${path}`;
  const res = await fetch(url, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(await admin.headers(method, url)) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read answers field by field
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

describe('vote-api on two shard groups', () => {
  test('each ballot is on the group the shard map names, once (the primary key there), tallied there; votes/me reads it', async () => {
    const election = anElection({ shards: 2 });
    await api.publish(election);
    const voters = [...(await Promise.all(Array.from({ length: 6 }, () => aVoterOn(0)))), ...(await Promise.all(Array.from({ length: 6 }, () => aVoterOn(1))))];
    const receipts = new Map<string, string>();
    for (const voter of voters) {
      const answer = await vote(api, voter, election.id, { selections: aBallot(election) });
      assert.equal(answer.status, 201, JSON.stringify(answer.body));
      receipts.set(voter.voterId, answer.body.receiptId as string);
    }
    for (const group of [0, 1]) {
      const rows = await ballotsOn(group, election.id);
      assert.deepEqual(
        new Set(rows.map((r) => r.voter_id)),
        new Set(voters.filter((v) => shardOf(v.voterId, 2) === group).map((v) => v.voterId)),
        `group ${group} holds exactly its voters' ballots`,
      );
      const db = await stored(groups[group]!, election.id);
      assert.deepEqual([db.ballots, db.totals, db.tallies[election.questions[0]!.options[0]!.id]], [6, 6, 6], `group ${group} tallies its own`);
    }
    // I2 on the group: a second ballot of a group-1 voter is refused with the first receipt.
    const repeat = await vote(api, voters[7]!, election.id, { selections: aBallot(election, 1) });
    assert.equal(repeat.status, 409);
    assert.equal(repeat.body.receiptId, receipts.get(voters[7]!.voterId));
    assert.equal((await ballotsOn(1, election.id)).length, 6);
    for (const voter of [voters[0]!, voters[11]!]) {
      const mine = await myVote(api, voter, election.id);
      assert.equal(mine.status, 200);
      assert.equal(mine.body.receiptId, receipts.get(voter.voterId));
    }
  });

  test('an election without a shard count (made before sharding) keeps every ballot on group 0', async () => {
    const election = anElection();
    await api.publish(election);
    for (const group of [0, 1]) {
      const answer = await vote(api, await aVoterOn(group), election.id, { selections: aBallot(election) });
      assert.equal(answer.status, 201);
    }
    assert.equal((await ballotsOn(0, election.id)).length, 2);
    assert.equal((await ballotsOn(1, election.id)).length, 0);
  });

  test('an election spread over more groups than this process knows is refused with 503, never routed over fewer', async () => {
    const election = anElection({ shards: 3 });
    await api.publish(election);
    const answer = await vote(api, await aVoter(issuer), election.id, { selections: aBallot(election) });
    assert.equal(answer.status, 503);
    assert.equal((await ballotsOn(0, election.id)).length + (await ballotsOn(1, election.id)).length, 0);
  });

  test('one election, one review salt: the same DPoP key hashes alike on both groups', async () => {
    const election = anElection({ shards: 2 });
    await api.publish(election);
    const key = await DpopKey.generate();
    for (const group of [0, 1]) {
      const voterId = voterIdOn(group);
      const token = await issuer.mint({ sub: voterId, roles: ['voter'], jkt: key.jkt });
      const answer = await voteFrom(election, { headers: (m, u) => key.headers(m, u, token) }, `198.51.100.${group + 1}`);
      assert.equal(answer.status, 201);
    }
    const [salt0, salt1] = await Promise.all(groups.map((g) => g`select salt from votes.review_salts where election_id = ${election.id}`));
    assert.deepEqual(salt1![0]!.salt, salt0![0]!.salt, 'group 1 copied group 0 salt');
    const [hash0, hash1] = await Promise.all(groups.map((g) => g`select key_hash from votes.ballot_signals where election_id = ${election.id}`));
    assert.equal(hash0!.length, 1);
    assert.equal(hash1![0]!.key_hash, hash0![0]!.key_hash);
  });

  test('fraud review across groups: clusters counted over both, a void on each group once, by cluster and by hash', async () => {
    const election = anElection({ shards: 2 });
    await api.publish(election);
    // One /64 with 4 ballots on each group: 8 in all reach the subnet threshold (6), neither group's 4 does.
    const farm: { voter: TestVoter; receiptId: string }[] = [];
    for (let i = 0; i < 8; i++) {
      const voter = await aVoterOn(i % 2);
      const answer = await voteFrom(election, voter, `2001:db8:9:9::${i + 1}`);
      assert.equal(answer.status, 201);
      farm.push({ voter, receiptId: answer.body.receiptId as string });
    }
    // An honest voter on each group, elsewhere.
    const honest = [];
    for (const group of [0, 1]) {
      const voter = await aVoterOn(group);
      const answer = await voteFrom(election, voter, `203.0.113.${10 + group}`);
      honest.push(answer.body.receiptId as string);
    }

    const listed = await call('GET', `/v1/elections/${election.id}/review/clusters`);
    assert.equal(listed.status, 200);
    const subnet = listed.body.items.find((c: { kind: string; network?: string }) => c.kind === 'subnet' && c.network === '2001:db8:9:9::/64');
    assert.ok(subnet, `the subnet cluster spread over both groups is found: ${JSON.stringify(listed.body.items)}`);
    assert.equal(subnet.ballots, 8);
    assert.equal(subnet.perMinute.reduce((n: number, m: { ballots: number }) => n + m.ballots, 0), 8);
    const burst = listed.body.items.find((c: { kind: string }) => c.kind === 'burst');
    assert.ok(burst && burst.ballots === 8, 'the burst within the minute too');

    // Pages in one order over both groups: oldest first, every ballot once.
    const pages = [];
    for (let offset = 0; offset < 8; offset += 3) {
      const page = await call('GET', `/v1/elections/${election.id}/review/clusters/${subnet.clusterId}/ballots?offset=${offset}&limit=3`);
      assert.equal(page.status, 200);
      assert.equal(page.body.total, 8);
      pages.push(...page.body.items);
    }
    assert.deepEqual(new Set(pages.map((b: { ballot: string }) => b.ballot)), new Set(farm.map((f) => ballotHash(f.receiptId))));
    const times = pages.map((b: { countedAt: string }) => b.countedAt);
    assert.deepEqual([...times].sort(), times, 'oldest first across groups');

    // A hash that names no ballot: nothing changes on either group.
    const unknown = await call('POST', `/v1/elections/${election.id}/voids`, { reason: 'bots', ballots: [ballotHash(farm[0]!.receiptId), ballotHash(randomUUID())] });
    assert.equal(unknown.status, 404);
    assert.equal(Number((await groups[0]!`select count(*) from votes.voided_ballots`)[0]!.count), 0);

    const voided = await call('POST', `/v1/elections/${election.id}/voids`, { reason: 'a farm', clusterId: subnet.clusterId });
    assert.equal(voided.status, 200, JSON.stringify(voided.body));
    assert.deepEqual([voided.body.voided, voided.body.alreadyVoided, voided.body.totalVoided], [8, 0, 8]);
    for (const group of [0, 1]) {
      const db = await stored(groups[group]!, election.id);
      assert.equal(db.totals, 1, `group ${group} keeps its honest ballot only`);
      assert.equal(db.tallies[election.questions[0]!.options[0]!.id], 1);
      const [action] = await groups[group]!`select id::text, ballots from votes.void_actions where election_id = ${election.id}`;
      assert.deepEqual([action!.id, action!.ballots], [voided.body.voidId, 4], `group ${group}: one action for its 4, under the call's id`);
    }
    const again = await call('POST', `/v1/elections/${election.id}/voids`, { reason: 'a farm', clusterId: subnet.clusterId });
    assert.deepEqual([again.status, again.body.voided, again.body.alreadyVoided], [200, 0, 8], 'voiding again changes nothing');

    // By hash, one ballot on each group.
    const single = await call('POST', `/v1/elections/${election.id}/voids`, { reason: 'checked', ballots: honest.map(ballotHash) });
    assert.deepEqual([single.status, single.body.voided, single.body.totalVoided], [200, 2, 10]);
    const mine = await myVote(api, farm[1]!.voter, election.id);
    assert.equal(mine.body.voided, true, 'the voter on group 1 sees the void');
  });

  test('one group down: its voters get fast 503s with Retry-After, the other group keeps counting; back without a restart', async () => {
    const election = anElection({ shards: 2 });
    await api.publish(election);
    const [server1] = await testShardServers();
    const warm = await vote(api, await aVoterOn(1), election.id, { selections: aBallot(election) });
    assert.equal(warm.status, 201);

    await server1!.stop();
    try {
      const down = await Promise.all(Array.from({ length: 4 }, () => aVoterOn(1)));
      const keys = down.map(() => randomUUID());
      for (const [i, voter] of down.entries()) {
        const started = performance.now();
        // The request's own deadline is the bound: an answer later than 1 s fails the test.
        const answer = await vote(api, voter, election.id, { selections: aBallot(election) }, keys[i], 1000);
        assert.equal(answer.status, 503, JSON.stringify(answer.body));
        assert.ok(Number(answer.headers.get('retry-after')) >= 1);
        assert.ok(performance.now() - started < 1000);
      }
      for (let i = 0; i < 4; i++) {
        const answer = await vote(api, await aVoterOn(0), election.id, { selections: aBallot(election) });
        assert.equal(answer.status, 201, 'group 0 voters are counted while group 1 is down');
      }
      assert.equal((await fetch(`${api.opsUrl}/readyz`)).status, 200, 'still ready: one group answers');

      await server1!.start();
      await waitFor('group 1 to take ballots again', async () => {
        const answer = await vote(api, down[0]!, election.id, { selections: aBallot(election) }, keys[0]);
        return answer.status === 201;
      });
    } finally {
      if (!server1!.pid) await server1!.start();
    }
    assert.equal((await ballotsOn(0, election.id)).length, 4);
    assert.equal((await ballotsOn(1, election.id)).length, 2, 'the warm-up ballot and the retried one; the refused ones left nothing');
  });
});
