import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createLogger, migrate } from '@onevote/platform';
import { freshDatabase } from '@onevote/stack/testing';
import postgres from 'postgres';
import { fileURLToPath } from 'node:url';

// Issue 14, item 15: ballot and results read tables vote-api owns, but never voter_id — the link
// between a person and a ballot stays inside vote-api's role.
let urls: Record<string, string>;
const opened: postgres.Sql[] = [];
const as = (service: string) => {
  const sql = postgres(urls[service]!, { max: 1, onnotice: () => {} });
  opened.push(sql);
  return sql;
};
const denied = (query: Promise<unknown>) =>
  assert.rejects(query, (err: { code?: string }) => err.code === '42501', 'permission denied (42501)');

before(async () => {
  const db = await freshDatabase();
  urls = db.urls;
  const owner = as('vote-api');
  await migrate(owner as never, {
    schema: 'votes',
    dir: fileURLToPath(new URL('../migrations', import.meta.url)),
    logger: createLogger('test', 'silent'),
  });
  await owner`insert into votes.ballots (election_id, voter_id, receipt_id, idempotency_key, selections)
    values (gen_random_uuid(), 'voter-1', gen_random_uuid(), 'k', '[]')`;
});
after(async () => {
  for (const sql of opened) await sql.end({ timeout: 1 });
});

test('results reads the tallies and totals, and nothing of the ballots', async () => {
  const results = as('results');
  await results`select * from votes.tallies`;
  await results`select * from votes.ballot_totals`;
  await denied(results`select voter_id from votes.ballots`);
  await denied(results`select receipt_id from votes.ballots`);
  await denied(results`select * from votes.ballots_p0`);
});

test('ballot reads what an export needs, never the voter id (not even through a partition)', async () => {
  const ballot = as('ballot');
  const rows = await ballot`select election_id, receipt_id, selections, counted_at from votes.ballots`;
  assert.equal(rows.length, 1);
  await denied(ballot`select voter_id from votes.ballots`);
  await denied(ballot`select * from votes.ballots`);
  await denied(ballot`select voter_id from votes.ballots_p3`);
  await denied(ballot`insert into votes.tallies (election_id, question_id, option_id, slot, votes) values (gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), 0, 1)`);
});

test('a table vote-api adds later is not readable by the readers unless a migration grants it', async () => {
  await as('vote-api')`create table votes.later_table (secret text)`;
  await denied(as('results')`select * from votes.later_table`);
  await denied(as('ballot')`select * from votes.later_table`);
});

test('fraud review: ballot reads who voided how many, the relay reads the voids, nobody reads the risk signals', async () => {
  await as('ballot')`select seq, id, election_id, actor, reason, cluster_id, ballots, at from votes.void_actions`;
  await as('relay')`select election_id, receipt_id, void_seq, reason, voided_at from votes.voided_ballots`;
  for (const reader of ['ballot', 'results', 'relay']) {
    await denied(as(reader)`select * from votes.ballot_signals`);
    await denied(as(reader)`select * from votes.review_salts`);
  }
  await denied(as('ballot')`select * from votes.voided_ballots`);
  await denied(as('results')`select * from votes.void_actions`);
});
