/**
 * A pg_auto_failover shard group (postgres-ha.ts) on the real servers: the standby is synchronous,
 * clients with the multi-host URL find the primary (and fail fast while there is none), a killed
 * primary is replaced by its standby with every commit on it, and the old primary rejoins.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createPostgres, type Sql } from '@onevote/platform';
import postgres from 'postgres';
import { type PostgresGroup, type PgMonitor, startPostgresGroups } from '../src/postgres-ha.ts';
import { killChildrenOnSignal } from '../src/process.ts';
import { testDir, waitFor } from '../src/testing.ts';

killChildrenOnSignal();

const one = async <T>(url: string, run: (sql: postgres.Sql) => Promise<T>): Promise<T> => {
  const sql = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => {} });
  try {
    return await run(sql);
  } finally {
    await sql.end({ timeout: 1 });
  }
};

describe('PostgreSQL shard group with pg_auto_failover: primary + synchronous standby', { concurrency: false }, () => {
  let monitor: PgMonitor;
  let group: PostgresGroup;
  let pool: Sql;

  before(async () => {
    const started = await startPostgresGroups(testDir('pgha'), 1);
    monitor = started.monitor;
    group = started.groups[0]!;
    await one(group.adminUrl, (sql) => sql`create table ha_probe (id serial primary key, note text not null)`);
    // A service's pool as the platform makes it, on the group's multi-host URL.
    pool = createPostgres(group.adminUrl, { applicationName: 'ha-test', max: 4, connectTimeoutMs: 1000 });
  });
  after(async () => {
    await pool?.end({ timeout: 1 });
    await group?.stop();
    await monitor?.stop();
  });

  test('the primary names its standby in synchronous_standby_names: a commit returns once the standby has it', async () => {
    const status = await group.syncStatus();
    const standby = await standbyNode(group);
    assert.match(status.synchronousStandbyNames, /^ANY 1 \(pgautofailover_standby_\d+\)$/);
    assert.equal(status.synchronousCommit, 'on');
    assert.equal(status.standbys.length, 1);
    assert.equal(status.standbys[0]!.state, 'streaming');
    assert.equal(status.standbys[0]!.syncState, 'quorum', 'the one standby is in the synchronous quorum');
    assert.ok(status.synchronousStandbyNames.includes(status.standbys[0]!.applicationName), 'the name is the streaming standby');

    // Freeze the standby's WAL receiver: a commit on the primary must then wait (SyncRep) and come
    // back only once the standby has the commit.
    const receiver = await one(standby.url(), async (sql) => (await sql<{ pid: number }[]>`select pid from pg_stat_wal_receiver`)[0]!.pid);
    const primary = (await group.primary())!;
    process.kill(receiver, 'SIGSTOP');
    let settled = false;
    const commit = one(primary.url(), (sql) => sql`insert into ha_probe (note) values ('waits for the standby') returning id`).finally(() => {
      settled = true;
    });
    try {
      await waitFor('the commit to wait for the standby (wait_event SyncRep)', async () =>
        one(primary.url(), async (sql) =>
          (await sql`select 1 from pg_stat_activity where wait_event = 'SyncRep' and query like 'insert into ha_probe%'`).length === 1,
        ),
      );
      assert.equal(settled, false, 'the commit returned before the standby had it');
    } finally {
      process.kill(receiver, 'SIGCONT');
    }
    const [row] = await commit;
    const onStandby = await one(standby.url(), (sql) => sql`select note from ha_probe where id = ${row!.id}`);
    assert.equal(onStandby[0]?.note, 'waits for the standby');
  });

  test('postgres.js with the multi-host URL writes to the primary even when the standby is listed first', async () => {
    const standby = await standbyNode(group);
    const primary = (await group.primary())!;
    const standbyFirst = `postgres://postgres@127.0.0.1:${standby.port},127.0.0.1:${primary.port}/postgres?target_session_attrs=read-write`;
    const sql = createPostgres(standbyFirst, { applicationName: 'ha-test-order', max: 1 });
    try {
      const [row] = await sql<{ port: number; recovery: boolean }[]>`select inet_server_port() as port, pg_is_in_recovery() as recovery`;
      assert.deepEqual({ port: row!.port, recovery: row!.recovery }, { port: primary.port, recovery: false });
    } finally {
      await sql.end({ timeout: 1 });
    }
  });

  test('kill -9 of the primary: the standby is promoted with every commit, the pool fails fast meanwhile and then writes there', async () => {
    const before = await pool<{ id: number }[]>`insert into ha_probe (note) values ('before the kill') returning id`;
    const oldPrimary = await group.killPrimary();
    const killedAt = Date.now();

    // No primary for a few seconds: a query is refused within the connect timeouts (a connection
    // error, so services answer 503); it neither hangs nor runs on the standby.
    const started = Date.now();
    await assert.rejects(pool`select 1`, (err: { code?: string }) => {
      assert.ok(['ECONNREFUSED', 'CONNECTION_CLOSED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT'].includes(err.code ?? ''), String(err.code));
      return true;
    });
    const refusedMs = Date.now() - started;
    assert.ok(refusedMs < 10_000, `a query waited ${refusedMs} ms with no primary`);

    const newPrimary = await group.waitForPrimary({ not: oldPrimary });
    const withoutPrimaryMs = Date.now() - killedAt;
    process.stdout.write(`# no primary for ${withoutPrimaryMs} ms; a query was refused in ${refusedMs} ms\n`);
    assert.notEqual(newPrimary, oldPrimary);
    // The same pool, not a new one: it reconnects to the promoted standby.
    await waitFor('the pool to write to the new primary', async () => {
      await pool`insert into ha_probe (note) values ('after the failover')`;
      return true;
    }, { timeoutMs: 30_000, intervalMs: 200 });
    const [{ port } = { port: 0 }] = await pool<{ port: number }[]>`select inet_server_port() as port`;
    assert.equal(port, newPrimary.port);
    const kept = await pool`select 1 from ha_probe where id = ${before[0]!.id}`;
    assert.equal(kept.length, 1, 'a commit acknowledged before the kill is on the promoted standby');
  });

  test('the old primary rejoins as the new standby (pg_rewind) and replication is synchronous again', async () => {
    const primary = (await group.primary())!;
    const lost = group.nodes.find((n) => n !== primary)!;
    assert.equal(lost.running, false);
    await group.rejoin(lost);
    const status = await group.syncStatus();
    assert.equal((await group.primary())?.name, primary.name, 'the promoted node stays primary');
    assert.equal(status.standbys[0]?.syncState, 'quorum');
    const states = await group.monitorStates();
    assert.deepEqual(
      states.map((s) => [s.name, s.reportedState]).sort(),
      [
        [primary.name, 'primary'],
        [lost.name, 'secondary'],
      ].sort(),
    );
    // It has what was written while it was away.
    const rows = await one(lost.url(), (sql) => sql`select count(*)::int as n from ha_probe where note = 'after the failover'`);
    assert.ok(rows[0]!.n >= 1);
  });

  test('the whole group stopped and started again: the same primary, synchronous again, nothing lost', async () => {
    const primary = (await group.primary())!;
    const [{ n: before } = { n: 0 }] = await pool<{ n: number }[]>`select count(*)::int as n from ha_probe`;
    await group.stop();
    assert.ok(group.nodes.every((n) => !n.running));
    await assert.rejects(pool`select 1`);
    await group.start();
    assert.equal((await group.primary())?.name, primary.name, 'the same primary after the restart');
    assert.equal((await group.syncStatus()).standbys[0]?.syncState, 'quorum', 'synchronous again');
    await waitFor('the pool to reconnect', async () => (await pool`select 1`).length === 1);
    const [{ n: after } = { n: -1 }] = await pool<{ n: number }[]>`select count(*)::int as n from ha_probe`;
    assert.equal(after, before, 'every row kept');
  });
});

async function standbyNode(group: PostgresGroup) {
  const primary = await group.primary();
  const standby = group.nodes.find((n) => n !== primary && n.running);
  if (!standby) throw new Error('no standby');
  return standby;
}
