import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { DpopKey, TokenIssuer, type TestVoter } from '@onevote/auth/client';
import type { ElectionConfig } from '@onevote/election-config';
import { freshDatabase } from '@onevote/stack/testing';
import { aBallot, anElection, aVoter, myVote, startVoteApi, stored, type VoteApiUnderTest } from './harness.ts';

// Fraud review (issue 17): signals kept with each ballot, clusters, voids.
let issuer: TokenIssuer;
let api: VoteApiUnderTest;
let admin: TestVoter;

before(async () => {
  issuer = await TokenIssuer.start();
  const db = await freshDatabase();
  api = await startVoteApi({
    issuer,
    databaseUrl: db.urls['vote-api']!,
    adminUrl: db.adminUrl,
    env: { REVIEW_SUBNET_MIN_BALLOTS: '3', REVIEW_KEY_MIN_BALLOTS: '2', REVIEW_BURST_MIN_BALLOTS: '3' },
  });
  admin = await aVoter(issuer, ['voter', 'admin']);
});
after(async () => {
  await api.stop();
  await issuer.stop();
});

const ballotHash = (receiptId: string) => createHash('sha256').update(receiptId, 'utf8').digest('base64url');

/** A ballot from `address` (loopback is a trusted proxy, so X-Forwarded-For is the client). */
async function voteFrom(election: ElectionConfig, voter: Pick<TestVoter, 'headers'>, address: string, n = 0) {
  const url = `${api.base}/v1/elections/${election.id}/votes`;
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'idempotency-key': randomUUID(),
      'x-forwarded-for': address,
      ...(await voter.headers('POST', url)),
    },
    body: JSON.stringify({ selections: aBallot(election, n) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function call(method: string, path: string, caller: Pick<TestVoter, 'headers'> | undefined, body?: unknown) {
  const url = `${api.base}${path}`;
  const res = await fetch(url, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(caller ? await caller.headers(method, url) : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read answers field by field and assert on them
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: (text ? JSON.parse(text) : {}) as Record<string, any> };
}

/** Voters sharing one DPoP key (one device, several accounts). */
async function votersSharingAKey(count: number): Promise<TestVoter[]> {
  const key = await DpopKey.generate();
  const voters: TestVoter[] = [];
  for (let i = 0; i < count; i++) {
    const voterId = randomUUID();
    const token = await issuer.mint({ sub: voterId, roles: ['voter'], jkt: key.jkt });
    voters.push({ voterId, key, token, headers: (method, url) => key.headers(method, url, token) });
  }
  return voters;
}

/** An open election with: 4 voters of one /64, 2 voters of one key elsewhere, 1 lone voter. */
async function anElectionWithAFarm() {
  const election = anElection();
  await api.publish(election);
  const farm: { voter: TestVoter; receiptId: string }[] = [];
  for (let i = 0; i < 4; i++) {
    const voter = await aVoter(issuer);
    const answer = await voteFrom(election, voter, `2001:db8:7:7::${i + 1}`, 1);
    assert.equal(answer.status, 201);
    farm.push({ voter, receiptId: answer.body.receiptId as string });
  }
  const sharing = await votersSharingAKey(2);
  for (const [i, voter] of sharing.entries()) assert.equal((await voteFrom(election, voter, `198.51.${100 + i}.9`)).status, 201);
  assert.equal((await voteFrom(election, await aVoter(issuer), '203.0.113.50', 2)).status, 201);
  return { election, farm };
}

async function clusters(electionId: string) {
  const answer = await call('GET', `/v1/elections/${electionId}/review/clusters`, admin);
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body as { voided: number; items: { clusterId: string; kind: string; network?: string; ballots: number; voided: number; perMinute: { ballots: number }[] }[] };
}

describe('fraud review', () => {
  test('each counted ballot keeps its network, a per-election key hash, token age and risk decision, and no voter id', async () => {
    const key = await DpopKey.generate();
    const voterId = randomUUID();
    const token = await issuer.mint({ sub: voterId, roles: ['voter'], jkt: key.jkt });
    const voter = { voterId, key, token, headers: (m: string, u: string) => key.headers(m, u, token) };
    const [one, two] = [anElection(), anElection()];
    await api.publish(one);
    await api.publish(two);
    const a = await voteFrom(one, voter, '2001:db8:aa:bb:1:2:3:4');
    const b = await voteFrom(two, voter, '192.0.2.77');
    assert.deepEqual([a.status, b.status], [201, 201]);
    const rows = await api.admin`
      select election_id::text, receipt_id::text, subnet, key_hash, token_age_seconds, risk, reasons
      from votes.ballot_signals where election_id in (${one.id}, ${two.id}) order by subnet`;
    assert.equal(rows.length, 2);
    const byElection = Object.fromEntries(rows.map((r) => [r.election_id, r]));
    assert.equal(byElection[one.id]!.subnet, '2001:db8:aa:bb::/64');
    assert.equal(byElection[two.id]!.subnet, '192.0.2.0/24');
    assert.equal(byElection[one.id]!.receipt_id, a.body.receiptId);
    assert.equal(byElection[one.id]!.risk, 'allow');
    assert.ok(byElection[one.id]!.token_age_seconds >= 0);
    assert.match(byElection[one.id]!.key_hash, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(byElection[one.id]!.key_hash, byElection[two.id]!.key_hash, 'the same key cannot be joined across elections');
    assert.notEqual(byElection[one.id]!.key_hash, key.jkt);
    const columns = await api.admin`
      select column_name from information_schema.columns where table_schema = 'votes' and table_name = 'ballot_signals'`;
    assert.ok(!columns.some((c) => c.column_name === 'voter_id'));
    assert.ok(!JSON.stringify(rows).includes(voterId));
  });

  test('suspicious ballots are clustered by network, by shared key and by burst, with counts per minute', async () => {
    const { election, farm } = await anElectionWithAFarm();
    const review = await clusters(election.id);
    const subnet = review.items.find((c) => c.kind === 'subnet');
    assert.equal(subnet?.network, '2001:db8:7:7::/64');
    assert.equal(subnet?.ballots, 4);
    assert.equal(subnet?.perMinute.reduce((n, m) => n + m.ballots, 0), 4);
    assert.equal(review.items.find((c) => c.kind === 'key')?.ballots, 2);
    assert.ok(review.items.some((c) => c.kind === 'burst' && c.network === '2001:db8:7:7::/64'));
    assert.ok(!review.items.some((c) => c.network === '203.0.113.0/24'), 'a lone voter is no cluster');

    const page = await call('GET', `/v1/elections/${election.id}/review/clusters/${subnet!.clusterId}/ballots?limit=3`, admin);
    assert.equal(page.status, 200, JSON.stringify(page.body));
    assert.equal(page.body.total, 4);
    assert.equal(page.body.items.length, 3);
    assert.equal(page.body.nextOffset, 3);
    const rest = await call('GET', `/v1/elections/${election.id}/review/clusters/${subnet!.clusterId}/ballots?offset=3`, admin);
    const hashes = [...page.body.items, ...rest.body.items].map((b: { ballot: string }) => b.ballot).sort();
    assert.deepEqual(hashes, farm.map((f) => ballotHash(f.receiptId)).sort(), 'ballots named by their hash in the log');
    assert.ok(!JSON.stringify([page.body, rest.body]).includes(farm[0]!.voter.voterId));
    assert.ok(!JSON.stringify([page.body, rest.body]).includes(farm[0]!.receiptId));
  });

  test('voiding a cluster drops the tallies by exactly its ballots, once; the voter sees it and cannot vote again', async () => {
    const { election, farm } = await anElectionWithAFarm();
    const before = await stored(api.admin, election.id);
    const subnet = (await clusters(election.id)).items.find((c) => c.kind === 'subnet')!;
    const voided = await call('POST', `/v1/elections/${election.id}/voids`, admin, { reason: 'bot farm on one /64', clusterId: subnet.clusterId });
    assert.equal(voided.status, 200, JSON.stringify(voided.body));
    assert.equal(voided.body.voided, 4);
    assert.equal(voided.body.totalVoided, 4);

    const after = await stored(api.admin, election.id);
    assert.equal(after.ballots, before.ballots, 'voided ballots stay (I2)');
    assert.equal(after.totals, before.totals - 4);
    // Every farm ballot chose option b of each question.
    for (const q of election.questions) {
      const b = q.options[1]!.id;
      assert.equal(after.tallies[b], before.tallies[b]! - 4);
      for (const o of [q.options[0]!.id, q.options[2]!.id]) assert.equal(after.tallies[o], before.tallies[o]);
    }
    const mine = await myVote(api, farm[0]!.voter, election.id);
    assert.equal(mine.status, 200);
    assert.equal(mine.body.voided, true);
    assert.equal(mine.body.voidReason, 'bot farm on one /64');
    assert.equal(mine.body.receiptId, farm[0]!.receiptId);
    const again = await voteFrom(election, farm[0]!.voter, '192.0.2.1');
    assert.equal(again.status, 409, 'I2: a voided voter keeps the one seat');
    assert.equal(again.body.code, 'already_voted');

    const twice = await call('POST', `/v1/elections/${election.id}/voids`, admin, { reason: 'again', clusterId: subnet.clusterId });
    assert.equal(twice.status, 200);
    assert.deepEqual([twice.body.voided, twice.body.alreadyVoided, twice.body.voidId], [0, 4, undefined]);
    assert.deepEqual(await stored(api.admin, election.id), after, 'voiding twice changes nothing');
    const actions = await api.admin`select actor, ballots, reason from votes.void_actions where election_id = ${election.id}`;
    assert.deepEqual(actions.map((a) => ({ ...a })), [{ actor: admin.voterId, ballots: 4, reason: 'bot farm on one /64' }]);
    const review = await clusters(election.id);
    assert.equal(review.voided, 4);
    assert.equal(review.items.find((c) => c.kind === 'subnet')?.voided, 4);
  });

  test('single ballots are voided by their hash in the log', async () => {
    const { election, farm } = await anElectionWithAFarm();
    const before = await stored(api.admin, election.id);
    const answer = await call('POST', `/v1/elections/${election.id}/voids`, admin, {
      reason: 'reported by the venue',
      ballots: [ballotHash(farm[2]!.receiptId)],
    });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body.voided, 1);
    assert.equal((await stored(api.admin, election.id)).totals, before.totals - 1);
    assert.equal((await myVote(api, farm[2]!.voter, election.id)).body.voided, true);
    assert.equal((await myVote(api, farm[1]!.voter, election.id)).body.voided, undefined);
  });

  test('bad input gets a 4xx problem and changes nothing', async () => {
    const { election, farm } = await anElectionWithAFarm();
    const subnet = (await clusters(election.id)).items.find((c) => c.kind === 'subnet')!;
    const voter = await aVoter(issuer);
    const closed = { ...anElection(), status: 'closed' as const };
    const draft = { ...anElection(), status: 'draft' as const };
    await api.publish(closed);
    await api.publish(draft);
    const path = `/v1/elections/${election.id}/voids`;
    const unknownCluster = Buffer.from('subnet\n10.9.9.0/24').toString('base64url');
    const cases: [string, number, string, () => ReturnType<typeof call>][] = [
      ['no token', 401, 'invalid_token', () => call('POST', path, undefined, { reason: 'x', clusterId: subnet.clusterId })],
      ['not an admin', 403, 'forbidden', () => call('POST', path, voter, { reason: 'x', clusterId: subnet.clusterId })],
      ['not an admin, clusters', 403, 'forbidden', () => call('GET', `/v1/elections/${election.id}/review/clusters`, voter)],
      ['an empty reason', 400, 'invalid_request', () => call('POST', path, admin, { reason: '', clusterId: subnet.clusterId })],
      ['a blank reason', 400, 'invalid_request', () => call('POST', path, admin, { reason: '   ', clusterId: subnet.clusterId })],
      ['no reason', 400, 'invalid_request', () => call('POST', path, admin, { clusterId: subnet.clusterId })],
      ['neither cluster nor ballots', 400, 'invalid_request', () => call('POST', path, admin, { reason: 'x' })],
      ['both cluster and ballots', 400, 'invalid_request', () => call('POST', path, admin, { reason: 'x', clusterId: subnet.clusterId, ballots: [ballotHash(farm[0]!.receiptId)] })],
      ['an unknown member', 400, 'invalid_request', () => call('POST', path, admin, { reason: 'x', clusterId: subnet.clusterId, all: true })],
      ['an unknown cluster', 404, 'not_found', () => call('POST', path, admin, { reason: 'x', clusterId: unknownCluster })],
      ['a cluster id that is no cluster id', 404, 'not_found', () => call('POST', path, admin, { reason: 'x', clusterId: 'bm9wZQ' })],
      ['a malformed cluster id', 400, 'invalid_request', () => call('POST', path, admin, { reason: 'x', clusterId: 'not/an/id' })],
      ['an unknown ballot', 404, 'not_found', () => call('POST', path, admin, { reason: 'x', ballots: [ballotHash(farm[0]!.receiptId), ballotHash(randomUUID())] })],
      ['a ballot that is no hash', 400, 'invalid_request', () => call('POST', path, admin, { reason: 'x', ballots: [farm[0]!.receiptId] })],
      ['an unknown election', 404, 'not_found', () => call('POST', `/v1/elections/${randomUUID()}/voids`, admin, { reason: 'x', ballots: [ballotHash(farm[0]!.receiptId)] })],
      ['a closed election (results final)', 409, 'results_final', () => call('POST', `/v1/elections/${closed.id}/voids`, admin, { reason: 'x', ballots: [ballotHash(farm[0]!.receiptId)] })],
      ['a draft', 409, 'election_not_open', () => call('POST', `/v1/elections/${draft.id}/voids`, admin, { reason: 'x', ballots: [ballotHash(farm[0]!.receiptId)] })],
      ['ballots of an unknown cluster', 404, 'not_found', () => call('GET', `/v1/elections/${election.id}/review/clusters/${unknownCluster}/ballots`, admin)],
      ['a page past the limit', 400, 'invalid_request', () => call('GET', `/v1/elections/${election.id}/review/clusters/${subnet.clusterId}/ballots?limit=501`, admin)],
    ];
    const before = await stored(api.admin, election.id);
    for (const [name, status, code, send] of cases) {
      const answer = await send();
      assert.equal(answer.status, status, `${name}: ${JSON.stringify(answer.body)}`);
      assert.match(answer.type, /^application\/problem\+json/, name);
      assert.equal(answer.body.code, code, name);
    }
    assert.deepEqual(await stored(api.admin, election.id), before);
    const [voids] = await api.admin`select count(*)::int as n from votes.voided_ballots where election_id = ${election.id}`;
    const [actions] = await api.admin`select count(*)::int as n from votes.void_actions where election_id = ${election.id}`;
    assert.deepEqual([voids!.n, actions!.n], [0, 0]);
  });
});
