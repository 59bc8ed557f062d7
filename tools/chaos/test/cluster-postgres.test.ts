/**
 * Issue 18, fault scenario 3, on the cluster topology: shard groups of a primary and a synchronous
 * standby under pg_auto_failover (startInfra({ cluster: { postgres: true } })). Under load, group
 * 0's primary is killed with -9 (PostgreSQL and its keeper: the node is lost). The standby is
 * promoted; every ballot answered 201 before the kill is on the new primary (I1 across the
 * failover); only 201/200/409/503 are answered; nothing is lost or counted twice; the relay makes
 * its replication slot again on the new primary and the audit log ends with every counted ballot
 * once. Then the old primary rejoins as the standby, and a second failover moves the primary back
 * to it (where the relay finds a stale slot from before the first failover).
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { LoadState } from '@onevote/bench';
import { shardOf } from '@onevote/election-config';
import { withPostgresUrl } from '@onevote/platform/postgres-url';
import { type Infra, type PgAutoctlNode, type PostgresGroup, startInfra, waitFor } from '@onevote/stack';
import postgres from 'postgres';
import { auditLogHolds } from '../src/audit-checks.ts';
import { scenario } from '../src/checks.ts';
import { type ProbeAnswer, protectedCallsOfEveryService } from '../src/probes.ts';
import type { ScenarioContext } from '../src/scenario.ts';

/** What a client may be answered, even during a failover. */
const allowedStatuses = new Set(['200', '201', '409', '503']);

/** One deployment's names on the shared servers (both scenarios are the same deployment). */
const deployment = {
  database: 'failover',
  extraEnv: {
    ELECTIONS_BUCKET: 'elections_failover',
    BALLOTS_STREAM: 'BALLOTS_failover',
    ELECTION_EVENTS_STREAM: 'EVENTS_failover',
    RELAY_SLOT: 'relay_failover',
  },
};

interface Failover {
  killed: PgAutoctlNode;
  killedAt: number;
  promoted: PgAutoctlNode;
  /** From the kill until the standby took writes. */
  withoutPrimaryMs: number;
  /** What each service answered before the kill, while the group had no primary, and after. */
  beforeKill: Record<string, ProbeAnswer>;
  whileNoPrimary: Record<string, ProbeAnswer>;
  afterFailover: Record<string, ProbeAnswer>;
  /** From the promotion until every service answered as before the kill (no restart). */
  servicesBackMs: number;
  /** The primary's WAL position shortly before the kill (the standby had it when promoted). */
  walBeforeKill: string;
}

describe('cluster: a PostgreSQL primary killed under load fails over to its synchronous standby (issue 18, scenario 3)', { concurrency: false }, () => {
  let infra: Infra;
  /** Both scenarios are one deployment: one database, so one directory of dev secrets. */
  let stackDir: string;
  let group0: PostgresGroup;
  let group1: PostgresGroup;
  let first: Failover | undefined;
  /** The failover of the scenario running now (its checks read it). */
  let latest: Failover | undefined;

  before(async () => {
    const dir = mkdtempSync(join(process.env.ONEVOTE_TEST_DIR ?? tmpdir(), 'cluster-pg-'));
    infra = await startInfra({ dir: join(dir, 'infra'), env: {}, cluster: { postgres: true } });
    stackDir = join(dir, 'stack');
    [group0, group1] = infra.servers.postgresGroups! as [PostgresGroup, PostgresGroup];
    assert.equal(infra.postgresShardAdminUrls?.length, 2);
    assert.equal(infra.postgresShardAdminUrls?.[0], infra.postgresAdminUrl);
  });
  after(async () => {
    await infra?.stop();
  });

  /** The scenario: kill group 0's primary `faultAt` s into the load; record the failover. */
  const failoverScenario = (name: string, record: (f: Failover) => void) =>
    scenario({
      name,
      infra,
      dir: stackDir,
      ...deployment,
      loadSeconds: 14,
      faultAt: 4,
      rate: 150,
      fault: async (ctx) => {
        const status = await group0.syncStatus();
        assert.match(status.synchronousStandbyNames, /pgautofailover_standby_/, 'synchronous before the kill');
        const otherPrimary = await group1.primary();
        const walBeforeKill = (await one((await group0.primary())!.url(), (sql) => sql<{ lsn: string }[]>`select pg_current_wal_lsn()::text as lsn`))[0]!.lsn;
        const beforeKill = await everyServiceAnswers(ctx);
        const killedAt = Date.now();
        const killed = await group0.killPrimary();
        // Right away, with the standby not yet promoted (that takes seconds): every service's answer.
        const whileNoPrimary = await everyServiceAnswers(ctx);
        const promoted = await group0.waitForPrimary({ not: killed, timeoutMs: 60_000 });
        const promotedAt = Date.now();
        // Every service reconnects by itself and answers as it did before (here, not after the
        // load: a probe ballot right before the close would race the final tree head).
        let afterFailover: Record<string, ProbeAnswer> = {};
        await waitFor('every service to answer as before the kill', async () => {
          afterFailover = await everyServiceAnswers(ctx);
          return Object.entries(afterFailover).every(([call, a]) => a.status === beforeKill[call]?.status);
        }, { timeoutMs: 15_000, intervalMs: 200 }).catch((err: Error) => {
          throw new Error(`${err.message}: before ${JSON.stringify(beforeKill)}, now ${JSON.stringify(afterFailover)}`);
        });
        record({
          killed,
          killedAt,
          promoted,
          withoutPrimaryMs: promotedAt - killedAt,
          beforeKill,
          whileNoPrimary,
          afterFailover,
          servicesBackMs: Date.now() - promotedAt,
          walBeforeKill,
        });
        // The other shard group never stopped: same primary, still taking writes.
        assert.equal((await group1.primary())?.name, otherPrimary?.name);
      },
      check: async (ctx, state) => {
        const failover = latest!;
        for (const [call, answer] of Object.entries(failover.whileNoPrimary)) {
          assert.ok(answer.status < 500 || answer.status === 503, `${call} answered ${answer.status} (${String(answer.code)}) with no primary`);
        }
        const { beforeKill, whileNoPrimary, afterFailover } = failover;
        process.stdout.write(`# answers before / without a primary / after: ${JSON.stringify(
          Object.fromEntries(Object.keys(afterFailover).map((c) => [c, [beforeKill[c]?.status, whileNoPrimary[c]?.status, afterFailover[c]!.status]])),
        )}; services back ${failover.servicesBackMs} ms after the promotion\n`);
        await ballotsAnsweredBeforeTheKillAreOn(failover, ctx, state);
        const statuses = new Set(Object.values(state.timeline).flatMap((second) => Object.keys(second)));
        for (const s of statuses) assert.ok(allowedStatuses.has(s), `a client was answered ${s === '0' ? 'no connection' : s}`);
        await everyShardGroupHoldsEachBallotOnce(ctx, state);
        // The relay made its slot again on the promoted standby and streams from it.
        const slot = await one(failover.promoted.url(deployment.database), (sql) =>
          sql`select active from pg_replication_slots where slot_name = ${deployment.extraEnv.RELAY_SLOT}`,
        );
        assert.equal(slot[0]?.active, true, 'the relay streams from a slot on the new primary');
      },
      afterLoad: auditLogHolds,
    });

  test('3. kill -9 of shard group 0’s primary: the standby is promoted, every 201 is on it, audit complete', async () => {
    const result = await failoverScenario('cluster: PostgreSQL primary kill -9, failover to the synchronous standby', (f) => {
      latest = first = f;
    });
    process.stdout.write(
      `# no primary for ${first!.withoutPrimaryMs} ms; unavailable ${result.unavailableSeconds} s; ready again after ${result.recoverySeconds} s; ${JSON.stringify(result.errors)}\n`,
    );
    assert.ok((result.errors['503'] ?? 0) > 0 || result.unavailableSeconds === 0, 'ballots during the failover were answered 503');
  });

  test('3b. the old primary rejoins as the standby; a second failover moves the primary back to it', async () => {
    assert.ok(first, 'the first failover ran');
    await group0.rejoin(first.killed);
    const states = await group0.monitorStates();
    assert.deepEqual(
      Object.fromEntries(states.map((s) => [s.name, s.reportedState])),
      { [first.promoted.name]: 'primary', [first.killed.name]: 'secondary' },
    );
    // Rewound onto the new history: it has every ballot of the first scenario (read on the standby).
    const onPrimary = await one(first.promoted.url(deployment.database), (sql) => sql`select count(*)::int as n from votes.ballots`);
    await waitForCount(first.killed.url(deployment.database), onPrimary[0]!.n);
    // pg_rewind keeps pg_replslot: when the keeper rewinds (rather than copies afresh with
    // pg_basebackup), the relay's slot from before the first failover is still on the rejoined
    // node, at a position on the history it rewound away. After the second failover the relay must
    // not resume from it.
    const stale = await one(first.killed.url(deployment.database), (sql) =>
      sql<{ lsn: string }[]>`select confirmed_flush_lsn::text as lsn from pg_replication_slots where slot_name = ${deployment.extraEnv.RELAY_SLOT}`,
    );
    process.stdout.write(`# the rejoined standby ${stale[0] ? `kept the relay's old slot (at ${stale[0].lsn})` : 'has no relay slot (copied afresh)'}\n`);

    let second: Failover | undefined;
    const result = await failoverScenario('cluster: second failover, onto the rejoined old primary', (f) => {
      latest = second = f;
    });
    assert.equal(second!.promoted.name, first.killed.name, 'the rejoined node took over');
    // The relay did not resume from the stale slot (a position on the rewound history): it made a
    // new one on the promoted node, after everything the old primary had written.
    const [start] = await one(second!.promoted.url(deployment.database), (sql) =>
      sql<{ value: string }[]>`select value from relay.state where name = 'slot_start_lsn'`,
    );
    assert.ok(lsn(start!.value) > lsn(second!.walBeforeKill), `the relay's slot starts at ${start!.value}, before ${second!.walBeforeKill}`);
    process.stdout.write(`# second failover: no primary for ${second!.withoutPrimaryMs} ms; unavailable ${result.unavailableSeconds} s\n`);
  });
});

/** A protected call to identity, ballot and vote-api, and a public read of results and audit. */
async function everyServiceAnswers(ctx: ScenarioContext): Promise<Record<string, ProbeAnswer>> {
  const answers = await protectedCallsOfEveryService(ctx);
  for (const [name, path] of [
    ['results: results', `/v1/elections/${ctx.election.id}/results`],
    ['audit: log head', `/v1/elections/${ctx.election.id}/log/head`],
  ] as const) {
    const res = await fetch(`${ctx.stack.gatewayUrl}${path}`);
    const body = (await res.json().catch(() => ({}))) as { code?: unknown };
    answers[name] = { status: res.status, retryAfter: res.headers.get('retry-after'), code: body.code };
  }
  return answers;
}

/** I1 across the failover: each receipt answered 201 before the kill, looked up on the promoted node itself. */
async function ballotsAnsweredBeforeTheKillAreOn(failover: Failover, ctx: ScenarioContext, state: LoadState) {
  // The load records a fresh 201's receipt (by voter, in answer order) and its answer time together.
  const receipts = [...state.receipts.entries()];
  assert.equal(receipts.length, state.countedAt.length);
  // The election is spread over every shard group: group 0's voters' ballots are the killed primary's.
  const groups = (ctx.stack.infra.postgresShardAdminUrls ?? [ctx.stack.infra.postgresAdminUrl]).length;
  const answeredBefore = receipts
    .filter(([voterId], i) => state.countedAt[i]! < failover.killedAt && shardOf(voterId, groups) === 0)
    .map(([, receiptId]) => receiptId);
  assert.ok(answeredBefore.length > 50, `only ${answeredBefore.length} ballots answered before the kill`);
  const stored = await one(failover.promoted.url(deployment.database), (sql) =>
    sql<{ receipt_id: string }[]>`select receipt_id::text from votes.ballots where election_id = ${ctx.election.id}`,
  );
  const onPromoted = new Set(stored.map((r) => r.receipt_id));
  const missing = answeredBefore.filter((r) => !onPromoted.has(r));
  assert.deepEqual(missing, [], `${missing.length} of ${answeredBefore.length} ballots answered 201 before the kill are not on the new primary`);
}

/**
 * Every shard group's ballots of the election, together: each 201 receipt stored once, no voter
 * twice. Shard groups without the database or its tables (no ballot routed there) are skipped.
 */
async function everyShardGroupHoldsEachBallotOnce(ctx: ScenarioContext, state: LoadState) {
  const rows: { voter_id: string; receipt_id: string }[] = [];
  for (const url of ctx.stack.infra.postgresShardAdminUrls ?? [ctx.stack.infra.postgresAdminUrl]) {
    try {
      rows.push(
        ...(await one(withPostgresUrl(url, { database: ctx.stack.database }), (sql) =>
          sql<{ voter_id: string; receipt_id: string }[]>`select voter_id, receipt_id::text from votes.ballots where election_id = ${ctx.election.id}`,
        )),
      );
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code !== '3D000' && code !== '42P01') throw err; // no such database / table: holds no votes
    }
  }
  const receipts = new Set(rows.map((r) => r.receipt_id));
  const voters = new Set(rows.map((r) => r.voter_id));
  assert.equal(receipts.size, rows.length, 'a ballot stored twice');
  assert.equal(voters.size, rows.length, 'a voter with two ballots');
  for (const receipt of state.receipts.values()) assert.ok(receipts.has(receipt), `receipt ${receipt} answered 201 is in no shard group`);
}

function lsn(text: string): bigint {
  const [hi, lo] = text.split('/');
  return (BigInt(`0x${hi}`) << 32n) | BigInt(`0x${lo}`);
}

async function waitForCount(url: string, n: number) {
  await waitFor(`the rejoined standby to hold ${n} ballots`, async () => {
    const [row] = await one(url, (sql) => sql<{ n: number }[]>`select count(*)::int as n from votes.ballots`);
    return row!.n === n;
  });
}

async function one<T>(url: string, run: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(url, { max: 1, connect_timeout: 5, onnotice: () => {} });
  try {
    return await run(sql);
  } finally {
    await sql.end({ timeout: 1 });
  }
}
