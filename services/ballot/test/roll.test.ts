/**
 * Voter rolls (issue 16; API.md, "Eligibility and verified identity"): PUT streams a CSV into the
 * roll, only hashes are kept (PostgreSQL and the Redis copy vote-api reads), every refusal changes
 * nothing, and a Redis copy that is lost comes back from PostgreSQL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { emailHasher } from '@onevote/auth';
import { type TestVoter, TokenIssuer } from '@onevote/auth/client';
import { rollRedisKey, rollSentinel } from '@onevote/contracts';
import { createLogger, createPostgres, migrate, type Sql } from '@onevote/platform';
import { freshDatabase, testInfra, uniqueName, waitFor } from '@onevote/stack/testing';
import { Redis } from 'ioredis';
import {
  aPlainVoter,
  anAdmin,
  anElection,
  client,
  type RunningBallot,
  startBallot,
  testEmailHashKey,
  voteApiMigrationsDir,
} from './support.ts';

const hash = emailHasher(testEmailHashKey);

describe('voter rolls', () => {
  let issuer: TokenIssuer;
  let ballot: RunningBallot;
  let sql: Sql;
  let redis: Redis;
  let admin: TestVoter;
  let call: ReturnType<typeof client>;

  before(async () => {
    issuer = await TokenIssuer.start();
    const db = await freshDatabase();
    // The votes schema as vote-api creates it (GET roll counts its ballots through ballot's grant).
    const votes = createPostgres(db.urls['vote-api']!, { applicationName: 'vote-api-test', max: 1 });
    await migrate(votes, { schema: 'votes', dir: voteApiMigrationsDir, logger: createLogger('t', 'silent') });
    await votes.end();
    ballot = await startBallot({
      databaseUrl: db.urls.ballot!,
      bucket: uniqueName('elections'),
      issuer,
      env: { ROLL_MAX_LINES: '50', ROLL_MAX_BYTES: '65536', ROLL_SYNC_MS: '100' },
    });
    sql = createPostgres(db.adminUrl, { applicationName: 'roll-test', max: 2 });
    redis = new Redis((await testInfra()).redisUrl);
    admin = await anAdmin(issuer);
    call = client(ballot.base);
  });
  after(async () => {
    await ballot?.stop();
    await sql?.end();
    redis?.disconnect();
    await issuer?.stop();
  });

  const anOpenRollElection = async () => {
    const e = (await call('POST', '/v1/elections', { as: admin, body: anElection({ eligibility: 'roll' }) })).body;
    await call('POST', `/v1/elections/${e.id}/open`, { as: admin });
    return e as { id: string; questions: { id: string; options: { id: string }[] }[] };
  };
  const upload = (id: string, csv: string, options: { as?: TestVoter; type?: string } = {}) => rawPut(id, csv, options);
  async function rawPut(id: string, csv: string, options: { as?: TestVoter; type?: string }) {
    const url = `${ballot.base}/v1/elections/${id}/roll`;
    const res = await fetch(url, {
      method: 'PUT',
      headers: { ...(await (options.as ?? admin).headers('PUT', url)), 'content-type': options.type ?? 'text/csv' },
      body: csv,
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }
  const members = async (id: string) =>
    (await sql<{ email_hash: string }[]>`
      select m.email_hash from ballot.roll_members m join ballot.elections e on e.id = m.election_id and e.roll_version = m.version
       where m.election_id = ${id} order by 1`).map((r) => r.email_hash);
  const redisMembers = async (id: string) => (await redis.smembers(rollRedisKey(id))).sort();

  test('an upload is normalised, de-duplicated and counted; only hashes are kept, in PostgreSQL and in Redis', async () => {
    const e = await anOpenRollElection();
    const csv = ['email', ' Ann@Example.org', 'ann@example.org', '"bob@example.org"', '', 'not an address', 'cy@example.org\r', 'x@y'].join('\n');
    const res = await upload(e.id, csv);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body, { size: 3, added: 3, invalid: 2 });

    const expected = ['ann@example.org', 'bob@example.org', 'cy@example.org'].map(hash).sort();
    assert.deepEqual(await members(e.id), expected);
    const [version] = await sql<{ v: number }[]>`select roll_version as v from ballot.elections where id = ${e.id}`;
    assert.deepEqual(await redisMembers(e.id), [...expected, rollSentinel.loaded, rollSentinel.version(version!.v)].sort());
    const stored = JSON.stringify(await sql`select * from ballot.roll_members where election_id = ${e.id}`);
    assert.doesNotMatch(stored, /example\.org/, 'no address is stored');

    assert.deepEqual((await call('GET', `/v1/elections/${e.id}/roll`, { as: admin })).body, { size: 3, voted: 0 });
    const history = (await call('GET', `/v1/elections/${e.id}/history`, { as: admin })).body.items;
    assert.deepEqual(history.at(-1).changes, { size: 3, added: 3, invalid: 2 });
    assert.equal(history.at(-1).action, 'roll');
  });

  test('a second upload replaces the roll: added counts only the new addresses, and Redis swaps to the new set', async () => {
    const e = await anOpenRollElection();
    await upload(e.id, 'ann@example.org\nbob@example.org\n');
    const res = await upload(e.id, 'bob@example.org\ncy@example.org\ndee@example.org\n');
    assert.deepEqual(res.body, { size: 3, added: 2, invalid: 0 });
    const expected = ['bob@example.org', 'cy@example.org', 'dee@example.org'].map(hash).sort();
    assert.deepEqual(await members(e.id), expected);
    const [{ n }] = (await sql`select count(*)::int as n from ballot.roll_members where election_id = ${e.id}`) as unknown as [{ n: number }];
    assert.equal(n, 3, 'the old version is gone');
    assert.equal(await redis.sismember(rollRedisKey(e.id), hash('ann@example.org')), 0);
    assert.equal(await redis.sismember(rollRedisKey(e.id), hash('dee@example.org')), 1);
  });

  test('refusals change nothing: too many lines, a line too long, a body too large, a wrong type, a closed election, no such election, not an admin', async () => {
    const e = await anOpenRollElection();
    await upload(e.id, 'ann@example.org\n');
    const before = { pg: await members(e.id), redis: await redisMembers(e.id) };

    const tooMany = await upload(e.id, Array.from({ length: 51 }, (_, i) => `v${i}@example.org`).join('\n'));
    assert.equal(tooMany.status, 400);
    assert.equal(tooMany.body.code, 'invalid_request');
    assert.match(String(tooMany.body.detail), /at most 50 lines/);

    const longLine = await upload(e.id, `ann@example.org\n${'a'.repeat(2000)}`);
    assert.equal(longLine.status, 400);

    const tooLarge = await upload(e.id, `${'b@example.org\n'.repeat(5000)}`);
    assert.equal(tooLarge.status, 413);
    assert.equal(tooLarge.body.code, 'payload_too_large');

    const json = await upload(e.id, '["ann@example.org"]', { type: 'application/json' });
    assert.equal(json.status, 415);

    const voter = await upload(e.id, 'eve@example.org\n', { as: await aPlainVoter(issuer) });
    assert.equal(voter.status, 403);

    const missing = await upload('00000000-0000-4000-8000-000000000000', 'eve@example.org\n');
    assert.equal(missing.status, 404);

    assert.deepEqual({ pg: await members(e.id), redis: await redisMembers(e.id) }, before);

    await call('POST', `/v1/elections/${e.id}/close`, { as: admin });
    const closed = await upload(e.id, 'eve@example.org\n');
    assert.equal(closed.status, 409);
    assert.equal(closed.body.code, 'invalid_transition');
    assert.deepEqual(await members(e.id), before.pg);
    assert.equal((await call('GET', `/v1/elections/${e.id}/roll`, { as: admin })).body.size, 1);
  });

  test('a roll Redis lost (flushed, or an older copy) is put back from PostgreSQL', async () => {
    const e = await anOpenRollElection();
    await upload(e.id, 'ann@example.org\nbob@example.org\n');
    const complete = await redisMembers(e.id);
    await redis.del(rollRedisKey(e.id));
    await waitFor('the roll back in Redis', async () => (await redis.exists(rollRedisKey(e.id))) === 1, { timeoutMs: 10_000 });
    assert.deepEqual(await redisMembers(e.id), complete);

    // A copy of another version (a restored snapshot) is replaced too.
    await redis.srem(rollRedisKey(e.id), ...complete.filter((m) => m.startsWith('*v')));
    await redis.sadd(rollRedisKey(e.id), rollSentinel.version(1));
    await waitFor('the current version back', async () => JSON.stringify(await redisMembers(e.id)) === JSON.stringify(complete), {
      timeoutMs: 10_000,
    });
  });

  test('GET roll: 0 without a roll; voted counts the ballots of the election; 403 for a voter, 404 for no election', async () => {
    const e = await anOpenRollElection();
    assert.deepEqual((await call('GET', `/v1/elections/${e.id}/roll`, { as: admin })).body, { size: 0, voted: 0 });
    const q = e.questions[0]!;
    await sql`
      insert into votes.ballots (election_id, voter_id, receipt_id, idempotency_key, selections, counted_at)
      values (${e.id}, 'voter-1', gen_random_uuid(), 'k1',
              ${sql.json([{ questionId: q.id, optionIds: [q.options[0]!.id] }])}, now())`;
    assert.deepEqual((await call('GET', `/v1/elections/${e.id}/roll`, { as: admin })).body, { size: 0, voted: 1 });
    assert.equal((await call('GET', `/v1/elections/${e.id}/roll`, { as: await aPlainVoter(issuer) })).status, 403);
    assert.equal((await call('GET', '/v1/elections/00000000-0000-4000-8000-000000000000/roll', { as: admin })).status, 404);
  });
});
