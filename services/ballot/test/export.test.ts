import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type TestVoter, TokenIssuer } from '@onevote/auth/client';
import { createLogger, createPostgres, migrate, type Sql } from '@onevote/platform';
import { freshDatabase, uniqueName } from '@onevote/stack/testing';
import {
  anAdmin,
  anElection,
  client,
  type RunningBallot,
  startBallot,
  voteApiMigrationsDir,
} from './support.ts';

describe('export of counted ballots', () => {
  let issuer: TokenIssuer;
  let ballot: RunningBallot;
  let votes: Sql;
  let admin: TestVoter;
  let call: ReturnType<typeof client>;

  before(async () => {
    issuer = await TokenIssuer.start();
    const db = await freshDatabase();
    // The votes schema as vote-api creates it, under vote-api's own role.
    votes = createPostgres(db.urls['vote-api']!, { applicationName: 'vote-api-test', max: 2 });
    await migrate(votes, { schema: 'votes', dir: voteApiMigrationsDir, logger: createLogger('t', 'silent') });
    ballot = await startBallot({ databaseUrl: db.urls.ballot!, bucket: uniqueName('elections'), issuer });
    admin = await anAdmin(issuer);
    call = client(ballot.base);
  });
  after(async () => {
    await ballot?.stop();
    await votes?.end();
    await issuer?.stop();
  });

  /** Counted ballots as vote-api would have written them; voter ids and emails are recognisable. */
  async function countBallots(
    election: { id: string; questions: { id: string; options: { id: string }[] }[] },
    n: number,
  ) {
    const q = election.questions[0]!;
    await votes`
      insert into votes.ballots (election_id, voter_id, receipt_id, idempotency_key, selections, counted_at)
      select ${election.id}, 'voter-' || i || '@example.com', gen_random_uuid(), 'key-' || i,
             jsonb_build_array(jsonb_build_object('questionId', ${q.id}::text,
               'optionIds', jsonb_build_array(${q.options[0]!.id}::text))),
             now() - make_interval(secs => ${n} - i)
        from generate_series(1, ${n}) i`;
  }

  async function anElectionWithBallots(n: number, close = true) {
    const e = (await call('POST', '/v1/elections', { as: admin, body: anElection() })).body;
    await call('POST', `/v1/elections/${e.id}/open`, { as: admin });
    await countBallots(e, n);
    if (close) await call('POST', `/v1/elections/${e.id}/close`, { as: admin });
    return e;
  }

  test('before close the export is 409 not_closed', async () => {
    const e = await anElectionWithBallots(3, false);
    const res = await call('GET', `/v1/elections/${e.id}/export?format=csv`, { as: admin });
    assert.equal(res.status, 409);
    assert.equal(res.body.code, 'not_closed');
    const draft = (await call('POST', '/v1/elections', { as: admin, body: anElection() })).body;
    assert.equal((await call('GET', `/v1/elections/${draft.id}/export`, { as: admin })).status, 409);
    const missing = await call('GET', '/v1/elections/7d0e2a4e-1111-4a6b-9c1d-2f0e8a1b3c4d/export', {
      as: admin,
    });
    assert.equal(missing.status, 404);
    assert.equal((await call('GET', `/v1/elections/${e.id}/export?format=xml`, { as: admin })).status, 400);
  });

  test('CSV after close: one row per counted ballot with receipt, time and selections; no voter identity', async () => {
    const e = await anElectionWithBallots(2500);
    const res = await call('GET', `/v1/elections/${e.id}/export?format=csv`, { as: admin });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^text\/csv/);
    const lines = res.text.trimEnd().split('\n');
    assert.equal(lines[0], 'receiptId,countedAt,selections');
    assert.equal(lines.length, 2501);
    const [receiptId, countedAt, selections] = parseCsvLine(lines[1]!);
    assert.match(receiptId!, /^[0-9a-f-]{36}$/);
    assert.ok(!Number.isNaN(Date.parse(countedAt!)));
    assert.deepEqual(JSON.parse(selections!), [
      { questionId: e.questions[0].id, optionIds: [e.questions[0].options[0].id] },
    ]);
    assert.doesNotMatch(res.text, /voter-|@example\.com|key-/);
  });

  test('JSON after close: one document with every ballot, in counted order; no voter identity', async () => {
    const e = await anElectionWithBallots(1200);
    const res = await call('GET', `/v1/elections/${e.id}/export?format=json`, { as: admin });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^application\/json/);
    assert.equal(res.body.electionId, e.id);
    const ballots = res.body.ballots as { receiptId: string; countedAt: string; selections: unknown }[];
    assert.equal(ballots.length, 1200);
    assert.equal(new Set(ballots.map((b) => b.receiptId)).size, 1200);
    assert.deepEqual(Object.keys(ballots[0]!).sort(), ['countedAt', 'receiptId', 'selections']);
    for (let i = 1; i < ballots.length; i++)
      assert.ok(Date.parse(ballots[i - 1]!.countedAt) <= Date.parse(ballots[i]!.countedAt));
    assert.doesNotMatch(res.text, /voter-|@example\.com|key-/);
  });

  test('a closed election without ballots exports an empty, well-formed document', async () => {
    const e = await anElectionWithBallots(0);
    const json = await call('GET', `/v1/elections/${e.id}/export`, { as: admin });
    assert.deepEqual(json.body, { electionId: e.id, ballots: [] });
    const csv = await call('GET', `/v1/elections/${e.id}/export?format=csv`, { as: admin });
    assert.equal(csv.text, 'receiptId,countedAt,selections\n');
  });
});

function parseCsvLine(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let value = '';
      i++;
      while (i < line.length) {
        if (line[i] === '"' && line[i + 1] === '"') {
          value += '"';
          i += 2;
        } else if (line[i] === '"') {
          i++;
          break;
        } else value += line[i++];
      }
      fields.push(value);
      i++;
    } else {
      const end = line.indexOf(',', i);
      fields.push(line.slice(i, end === -1 ? line.length : end));
      i = end === -1 ? line.length + 1 : end + 1;
    }
  }
  return fields;
}
