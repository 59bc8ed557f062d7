/**
 * Fraud review end to end on the whole stack (issue 17): a bench-style burst of voters from one IPv6
 * /64 (client addresses through the gateway's X-Forwarded-For, believed from 127.0.0.1) among
 * honest voters from networks of their own is clustered; voiding the cluster lowers the tally by
 * exactly its size, live; the election's history says who voided how many and why; the voters see
 * it in `votes/me`; the audit log gets a `void` leaf per ballot and the independent verifier still
 * passes and counts the voids. Once the results are final, a void is refused and changes nothing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  accessTokenHash,
  adminClient,
  BenchIssuer,
  castBallot,
  createOpenElection,
  dpopProof,
  mintToken,
  newVoterKey,
  provisionVoters,
  type Voter,
} from '@onevote/bench';
import { repoRoot } from '@onevote/stack';
import { startTestStack, waitFor } from '@onevote/stack/testing';

const issuer = await BenchIssuer.start();
after(() => issuer.stop());
const stack = await startTestStack({ seed: false, extraIssuers: [issuer.trustEntry] });
const gateway = stack.gatewayUrl;

/** The caller's answer, JSON parsed (problem+json included), whatever the status. */
async function call(voter: Pick<Voter, 'key' | 'token' | 'ath'>, method: string, path: string, init: { ip?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const url = `${gateway}${path}`;
  const res = await fetch(url, {
    method,
    headers: {
      authorization: `DPoP ${voter.token}`,
      dpop: dpopProof(voter.key, method, url, voter.ath),
      'x-forwarded-for': init.ip ?? '127.0.0.1',
      ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...init.headers,
    },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const text = await res.text();
  return {
    status: res.status,
    type: res.headers.get('content-type') ?? '',
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read answers field by field and assert on them
    body: (text ? JSON.parse(text) : {}) as Record<string, any>,
  };
}

function anAdmin(): Pick<Voter, 'key' | 'token' | 'ath'> & { voterId: string } {
  const { key } = newVoterKey();
  const sub = crypto.randomUUID();
  const token = mintToken({ issuer: issuer.issuer, kid: issuer.kid, audience: 'onevote', key: issuer.privateKey, sub, jkt: key.jkt, roles: ['admin'], lifetimeSeconds: 600 });
  return { key, token, ath: accessTokenHash(token), voterId: `${issuer.voterPrefix}${sub}` };
}

async function results(electionId: string) {
  const res = await fetch(`${gateway}/v1/elections/${electionId}/results`);
  return (await res.json()) as { totalBallots: number; final: boolean; questions: { options: { optionId: string; votes: number }[] }[] };
}

/** Sends every voter's ballot, `concurrency` at a time, each from its own address. */
async function burst(voters: Voter[], address: (i: number) => string, electionId: string, questionId: string, optionId: string) {
  let next = 0;
  const statuses: number[] = [];
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < voters.length) {
        const i = next++;
        // A farm's script solves the challenges the risk rules ask for (a Redis slower than its
        // deadline on a busy machine asks too; the ballot then carries `challenge` in its signals)
        // and retries a 503 like any client.
        const answer = await castBallot(gateway, voters[i]!, electionId, [{ questionId, optionIds: [optionId] }], address(i));
        statuses.push(answer.status);
      }
    }),
  );
  return statuses;
}

describe('fraud review end to end', () => {
  test('a burst from one /64 is clustered, voided with a reason, and the audit verifier agrees', async () => {
    const election = await createOpenElection(gateway, issuer);
    const [honestOption, farmOption] = election.optionIds as [string, string];
    const honest = provisionVoters(issuer, 30, 'onevote', 900);
    const farm = provisionVoters(issuer, 60, 'onevote', 900);
    const [farmVotes, honestVotes] = await Promise.all([
      burst(farm, (i) => `2001:db8:bad:f00d::${(i + 1).toString(16)}`, election.id, election.questionId, farmOption),
      burst(honest, (i) => `198.51.${i}.${10 + i}`, election.id, election.questionId, honestOption),
    ]);
    assert.deepEqual([...new Set([...farmVotes, ...honestVotes])], [201]);
    await waitFor('all 90 ballots in the results', async () => (await results(election.id)).totalBallots === 90);

    const admin = anAdmin();
    const review = await call(admin, 'GET', `/v1/elections/${election.id}/review/clusters`);
    assert.equal(review.status, 200, JSON.stringify(review.body));
    const subnets = review.body.items.filter((c: { kind: string }) => c.kind === 'subnet');
    assert.deepEqual(
      subnets.map((c: { network: string; ballots: number }) => [c.network, c.ballots]),
      [['2001:db8:bad:f00d::/64', 60]],
      'one cluster: the farm, and no honest voter in it',
    );
    const cluster = subnets[0];
    assert.equal(cluster.perMinute.reduce((n: number, m: { ballots: number }) => n + m.ballots, 0), 60);
    assert.ok(review.body.items.some((c: { kind: string; network?: string }) => c.kind === 'burst' && c.network === '2001:db8:bad:f00d::/64'));

    // Not an admin, or no reason: refused through the gateway, and nothing changes.
    const voter = farm[0]!;
    const notAdmin = await call(voter, 'POST', `/v1/elections/${election.id}/voids`, { body: { reason: 'mine', clusterId: cluster.clusterId } });
    assert.deepEqual([notAdmin.status, notAdmin.body.code], [403, 'forbidden']);
    assert.match(notAdmin.type, /^application\/problem\+json/);
    const noReason = await call(admin, 'POST', `/v1/elections/${election.id}/voids`, { body: { reason: '', clusterId: cluster.clusterId } });
    assert.deepEqual([noReason.status, noReason.body.code], [400, 'invalid_request']);
    assert.equal((await results(election.id)).totalBallots, 90);

    const reason = 'bot farm: 60 accounts from one /64 within a minute';
    const voided = await call(admin, 'POST', `/v1/elections/${election.id}/voids`, { body: { reason, clusterId: cluster.clusterId } });
    assert.equal(voided.status, 200, JSON.stringify(voided.body));
    assert.equal(voided.body.voided, 60);

    // Results drop live by exactly the cluster: every farm ballot chose farmOption.
    await waitFor('the results without the farm', async () => (await results(election.id)).totalBallots === 30);
    const votes = Object.fromEntries((await results(election.id)).questions[0]!.options.map((o) => [o.optionId, o.votes]));
    assert.equal(votes[honestOption], 30);
    assert.equal(votes[farmOption], 0);

    const mine = await call(voter, 'GET', `/v1/elections/${election.id}/votes/me`);
    assert.deepEqual([mine.status, mine.body.voided, mine.body.voidReason], [200, true, reason]);
    const again = await call(voter, 'POST', `/v1/elections/${election.id}/votes`, {
      ip: '192.0.2.200',
      body: { selections: [{ questionId: election.questionId, optionIds: [honestOption] }] },
      headers: { 'idempotency-key': crypto.randomUUID() },
    });
    assert.deepEqual([again.status, again.body.code], [409, 'already_voted'], 'a voided voter may not vote again (I2)');

    const call_ = adminClient(gateway, issuer);
    await waitFor('the void in the election history', async () => {
      const history = await call_<{ items: { action: string; actor: string; changes: Record<string, unknown> }[] }>('GET', `/v1/elections/${election.id}/history`);
      const entry = history.items.find((h) => h.action === 'void');
      if (!entry) return false;
      assert.equal(entry.actor, admin.voterId);
      assert.equal(entry.changes.ballots, 60);
      assert.equal(entry.changes.reason, reason);
      return true;
    });

    // The log: 90 ballots, 60 voids and the events created, opened, ballots_voided, closed.
    await call_('POST', `/v1/elections/${election.id}/close`);
    const head = async () => (await (await fetch(`${gateway}/v1/elections/${election.id}/log/head`)).json()) as { treeSize: number; final: boolean };
    await waitFor('the final tree head', async () => (await head().catch(() => ({ final: false, treeSize: 0 }))).final, { timeoutMs: 30_000, intervalMs: 250 });
    assert.equal((await head()).treeSize, 90 + 60 + 4);
    const entries = (await (await fetch(`${gateway}/v1/elections/${election.id}/log/entries?start=0&end=154`)).json()) as { entries: { leaf: string }[] };
    const voids = entries.entries.map((e) => JSON.parse(e.leaf)).filter((l) => l.kind === 'void');
    assert.equal(voids.length, 60);
    assert.deepEqual(Object.keys(voids[0]), ['v', 'kind', 'electionId', 'ballot', 'reason', 'at']);
    assert.ok(voids.every((l) => l.reason === reason && l.electionId === election.id));

    const state = join(mkdtempSync(join(tmpdir(), 'verify-')), 'state.json');
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(repoRoot, 'packages/verifier/src/cli.ts'), '--url', gateway, '--election', election.id, '--state', state, '--json'],
      { encoding: 'utf8', cwd: repoRoot },
    );
    assert.equal(run.status, 0, `the verifier failed:\n${run.stdout}\n${run.stderr}`);
    const report = JSON.parse(run.stdout) as { ok: boolean; tally: { totalBallots: number; ballotLeaves: number; voided: number } };
    assert.equal(report.ok, true);
    assert.deepEqual([report.tally.ballotLeaves, report.tally.voided, report.tally.totalBallots], [90, 60, 30]);

    // After the final head: refused, nothing changed.
    const honestBallot = entries.entries.map((e) => JSON.parse(e.leaf)).find((l) => l.kind === 'ballot' && !voids.some((v) => v.ballot === l.ballot));
    const late = await call(admin, 'POST', `/v1/elections/${election.id}/voids`, { body: { reason: 'too late', ballots: [honestBallot.ballot] } });
    assert.deepEqual([late.status, late.body.code], [409, 'results_final']);
    assert.match(late.type, /^application\/problem\+json/);
    assert.equal((await results(election.id)).totalBallots, 30);
    assert.equal((await head()).treeSize, 154);
  });
});
