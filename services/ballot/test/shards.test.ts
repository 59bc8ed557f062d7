/**
 * ballot with two vote shard groups (issue 18): a new election is spread over every group (its
 * shard map version, in the KV config, not in the public API), its export streams every group's
 * ballots in one order, `voted` sums the groups, and each group's void actions reach the history.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { type TestVoter, TokenIssuer } from '@onevote/auth/client';
import { createLogger, createPostgres, migrate, type Sql } from '@onevote/platform';
import { freshShardedDatabase, uniqueName, waitFor } from '@onevote/stack/testing';
// Voids are made as vote-api's fraud review makes them, on each group.
import { ReviewRepository } from '../../vote-api/src/adapters/review.repository.ts';
import { anAdmin, anElection, client, type RunningBallot, startBallot, voteApiMigrationsDir } from './support.ts';

describe('ballot over two shard groups', () => {
  let issuer: TokenIssuer;
  let ballot: RunningBallot;
  /** vote-api's role on group 0 and 1. */
  let votes: Sql[];
  let admin: TestVoter;
  let call: ReturnType<typeof client>;

  before(async () => {
    issuer = await TokenIssuer.start();
    const db = await freshShardedDatabase(2);
    votes = db.urls.map((urls, i) => createPostgres(urls['vote-api']!, { applicationName: `vote-api-test ${i}`, max: 2 }));
    for (const sql of votes) await migrate(sql, { schema: 'votes', dir: voteApiMigrationsDir, logger: createLogger('t', 'silent') });
    ballot = await startBallot({
      databaseUrl: db.urls[0]!.ballot!,
      bucket: uniqueName('elections'),
      issuer,
      env: { VOTE_SHARD_URLS: db.shardUrls.ballot! },
    });
    admin = await anAdmin(issuer);
    call = client(ballot.base);
  });
  after(async () => {
    await ballot?.stop();
    await Promise.all(votes.map((sql) => sql.end()));
    await issuer?.stop();
  });

  /** Ballots as vote-api writes them, on group `group`, at the given times (microseconds count). */
  async function countAt(group: number, election: { id: string; questions: { id: string; options: { id: string }[] }[] }, times: string[]) {
    const q = election.questions[0]!;
    const rows = await votes[group]!<{ receipt_id: string; counted_at: string }[]>`
      insert into votes.ballots (election_id, voter_id, receipt_id, idempotency_key, selections, counted_at)
      select ${election.id}, 'voter-' || gen_random_uuid(), gen_random_uuid(), 'key',
             jsonb_build_array(jsonb_build_object('questionId', ${q.id}::text, 'optionIds', jsonb_build_array(${q.options[group]!.id}::text))),
             t::timestamptz
        from unnest(${times}::text[]) t
      returning receipt_id::text, to_char(counted_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') as counted_at`;
    return rows.map((r) => ({ receiptId: r.receipt_id, at: r.counted_at }));
  }

  test('a new election gets the shard count of the deployment in its KV config, not in the public API', async () => {
    const created = await call('POST', '/v1/elections', { as: admin, body: anElection() });
    assert.equal(created.status, 201);
    assert.equal(created.body.shards, undefined, 'the public shape is unchanged');
    await waitFor('the config in the bucket', async () => (await ballot.kv.get(created.body.id)) !== null);
    assert.equal((await ballot.kv.get(created.body.id))!.json<{ shards?: number }>().shards, 2);
    // Edits and transitions keep it.
    await call('POST', `/v1/elections/${created.body.id}/open`, { as: admin });
    await waitFor('the open config', async () => (await ballot.kv.get(created.body.id))!.json<{ status: string }>().status === 'open');
    assert.equal((await ballot.kv.get(created.body.id))!.json<{ shards?: number }>().shards, 2);
  });

  test('export merges both groups in commit order (to the microsecond), once each; voted sums both groups', async () => {
    const e = (await call('POST', '/v1/elections', { as: admin, body: anElection() })).body;
    await call('POST', `/v1/elections/${e.id}/open`, { as: admin });
    const base = '2026-03-01 12:00:00';
    // Interleaved, and within one millisecond apart by microseconds (a JS Date would tie them).
    const g0 = await countAt(0, e, [`${base}.000100Z`, `${base}.000300Z`, `${base}.500000Z`, ...Array.from({ length: 1200 }, (_, i) => `2026-03-01 12:01:${String(i % 60).padStart(2, '0')}.${String(2 * i).padStart(6, '0')}Z`)]);
    const g1 = await countAt(1, e, [`${base}.000200Z`, `${base}.000400Z`, ...Array.from({ length: 900 }, (_, i) => `2026-03-01 12:01:${String(i % 60).padStart(2, '0')}.${String(2 * i + 1).padStart(6, '0')}Z`)]);
    const roll = await call('GET', `/v1/elections/${e.id}/roll`, { as: admin });
    assert.equal(roll.status, 200);
    assert.equal(roll.body.voted, g0.length + g1.length);

    await call('POST', `/v1/elections/${e.id}/close`, { as: admin });
    const res = await call('GET', `/v1/elections/${e.id}/export?format=json`, { as: admin });
    assert.equal(res.status, 200);
    const exported = res.body.ballots as { receiptId: string; countedAt: string }[];
    const expected = [...g0, ...g1].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.receiptId < b.receiptId ? -1 : 1));
    assert.equal(exported.length, expected.length);
    assert.deepEqual(exported.map((b) => b.receiptId), expected.map((b) => b.receiptId), 'one order over both groups');
    const csv = await call('GET', `/v1/elections/${e.id}/export?format=csv`, { as: admin });
    assert.equal(csv.text.trimEnd().split('\n').length, expected.length + 1);
  });

  test("each group's void actions are recorded in the history once, the other group's included", async () => {
    const e = (await call('POST', '/v1/elections', { as: admin, body: anElection() })).body;
    await call('POST', `/v1/elections/${e.id}/open`, { as: admin });
    const hash = (r: string) => createHash('sha256').update(r, 'utf8').digest('base64url');
    const on0 = await countAt(0, e, ['2026-03-02 10:00:00Z', '2026-03-02 10:00:01Z']);
    const on1 = await countAt(1, e, ['2026-03-02 10:00:02Z']);
    const by = { actor: admin.voterId, reason: 'bots' };
    const voidId = '6f1de5cc-7e63-4c1b-8b7b-3b3b1d0c0a01';
    await new ReviewRepository(votes[0]!).void(e.id, { ballots: on0.map((b) => hash(b.receiptId)) }, by, voidId);
    await new ReviewRepository(votes[1]!).void(e.id, { ballots: on1.map((b) => hash(b.receiptId)) }, by, voidId);
    const voids = async () => ((await call('GET', `/v1/elections/${e.id}/history`, { as: admin })).body.items as { action: string; changes: Record<string, unknown> }[]).filter((h) => h.action === 'void');
    await waitFor('both void actions in the history', async () => (await voids()).length === 2);
    const entries = await voids();
    assert.deepEqual(entries.map((v) => [v.changes.voidId, v.changes.ballots, v.changes.shard]).sort(), [
      [voidId, 1, 1],
      [voidId, 2, undefined],
    ]);
    // Group 1's action numbered 1 on its own group, like group 0's: both kept, then never again.
    assert.equal(entries[0]!.changes.voidSeq, entries[1]!.changes.voidSeq);
    // More imports find nothing new to record.
    await ballot.scheduler.tick();
    await ballot.scheduler.tick();
    assert.equal((await voids()).length, 2);
  });
});
