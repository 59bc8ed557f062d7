/**
 * WAL bytes per ballot and the commit rate of each vote shard group, through vote-api's commit path:
 * its GroupCommitter and BallotStore (the group commit's one statement: ballot, tally deltas, totals
 * and fraud-review signals), routed by the shard map, on private PostgreSQL servers (one per group,
 * the stack's settings: fsync and synchronous_commit on, wal_compression on):
 *
 *   node --import tsx services/vote-api/bench/shard-wal.ts [--shards 2] [--ballots 100000] [--in-flight 512]
 *
 * After a warm-up the servers checkpoint, then `ballots` ballots are submitted with `in-flight` of
 * them waiting at any time (as concurrent requests would). Per group: `pg_current_wal_lsn()` before
 * and after (WAL bytes per ballot, full-page images after the checkpoint included), ballots and
 * transactions per second, batch size, and the server's CPU per ballot (its process tree). The last
 * line printed is one JSON object. Nothing else runs on these servers (no relay slot, no audit).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cpuSeconds } from '@onevote/bench';
import { shardOf } from '@onevote/election-config';
import { createLogger, createMetrics, createPostgres, migrate, type Sql } from '@onevote/platform';
import { freePort, killChildrenOnSignal, PostgresServer, provisionDatabase } from '@onevote/stack';
import postgres from 'postgres';
import { BallotStore, type BallotToCommit, type CommitResult } from '../src/adapters/ballot-store.ts';
import { GroupCommitter } from '../src/group-commit/group-commit.ts';
import { createVoteMetrics } from '../src/metrics.ts';

const { values: args } = parseArgs({
  options: {
    shards: { type: 'string', default: '2' },
    ballots: { type: 'string', default: '100000' },
    'in-flight': { type: 'string', default: '512' },
  },
});
const groups = Number(args.shards);
const ballots = Number(args.ballots);
const inFlight = Number(args['in-flight']);
const logger = createLogger('shard-wal', 'warn');

killChildrenOnSignal();

/** Counts the transactions a store commits (one per batch). */
class CountingStore {
  transactions = 0;
  ballots = 0;
  constructor(readonly store: BallotStore) {}
  async commit(batch: readonly BallotToCommit[]): Promise<CommitResult> {
    const result = await this.store.commit(batch);
    this.transactions++;
    this.ballots += batch.length;
    return result;
  }
}

const dir = mkdtempSync(join(tmpdir(), 'shard-wal-'));
const servers = await Promise.all(
  Array.from({ length: groups }, async (_, i) => new PostgresServer(join(dir, `pg${i}`, 'data'), await freePort())),
);
const pools: Sql[] = [];
try {
  await Promise.all(servers.map((s) => s.start()));
  const metrics = createVoteMetrics(createMetrics('shard-wal'));
  const stores: CountingStore[] = [];
  const committers: GroupCommitter[] = [];
  for (const [i, server] of servers.entries()) {
    const urls = await provisionDatabase(server.adminUrl, 'wal');
    const sql = createPostgres(urls['vote-api']!, {
      applicationName: `shard-wal ${i}`,
      max: 8,
      session: { synchronous_commit: 'on' },
    });
    pools.push(sql);
    await migrate(sql, { schema: 'votes', dir: fileURLToPath(new URL('../migrations', import.meta.url)), logger });
    const store = new CountingStore(new BallotStore(sql, { slots: 16, ...(i > 0 ? { canonicalSalts: stores[0]!.store } : {}) }));
    stores.push(store);
    // vote-api's defaults (docs/configuration.md), limits wide so a loaded machine sheds nothing.
    committers.push(
      new GroupCommitter(
        store as unknown as BallotStore,
        {
          maxBatch: 500,
          maxWaitMs: 5,
          concurrency: 4,
          maxQueue: 1_000_000,
          latencyLimitMs: 60_000,
          timeoutMs: 60_000,
          breakerFailures: 100,
          breakerOpenMs: 1000,
          shard: i,
        },
        { logger, metrics },
      ),
    );
  }
  const electionId = randomUUID();
  const questionId = randomUUID();
  const options = [randomUUID(), randomUUID(), randomUUID()];

  async function submit(n: number) {
    let next = 0;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next++ < n) {
          const voterId = randomUUID();
          await committers[shardOf(voterId, groups)]!.submit({
            electionId,
            voterId,
            receiptId: randomUUID(),
            idempotencyKey: randomUUID(),
            selections: [{ questionId, optionIds: [options[next % 3]!] }],
            signals: {
              subnet: `10.${next % 200}.${(next >> 8) % 250}.0/24`,
              jkt: randomUUID(),
              tokenAgeSeconds: 60,
              risk: 'allow',
              reasons: [],
            },
          });
        }
      }),
    );
  }

  await submit(Math.ceil(ballots / 10)); // warm-up: plans, salts, the tables' first pages
  const admins = servers.map((s) => postgres(s.adminUrl.replace(/\/postgres$/, '/wal'), { max: 1, onnotice: () => {} }));
  await Promise.all(admins.map((a) => a`checkpoint`));
  const lsn = () => Promise.all(admins.map(async (a) => (await a<{ lsn: string }[]>`select pg_current_wal_lsn()::text as lsn`)[0]!.lsn));
  const start = { lsn: await lsn(), cpu: servers.map((s) => cpuSeconds(s.pid!, true)), stores: stores.map((s) => ({ ballots: s.ballots, transactions: s.transactions })) };
  const started = performance.now();
  await submit(ballots);
  const seconds = (performance.now() - started) / 1000;
  const end = { lsn: await lsn(), cpu: servers.map((s) => cpuSeconds(s.pid!, true)) };
  const perGroup = await Promise.all(
    servers.map(async (_, i) => {
      const [diff] = await admins[i]!<{ bytes: string }[]>`select pg_wal_lsn_diff(${end.lsn[i]!}::pg_lsn, ${start.lsn[i]!}::pg_lsn)::text as bytes`;
      const n = stores[i]!.ballots - start.stores[i]!.ballots;
      const tx = stores[i]!.transactions - start.stores[i]!.transactions;
      return {
        group: i,
        ballots: n,
        walBytesPerBallot: Math.round(Number(diff!.bytes) / n),
        ballotsPerSecond: Math.round(n / seconds),
        transactionsPerSecond: Math.round(tx / seconds),
        ballotsPerTransaction: Math.round((n / tx) * 10) / 10,
        postgresCpuUsPerBallot: Math.round(((end.cpu[i]! - start.cpu[i]!) * 1e6) / n),
      };
    }),
  );
  await Promise.all(admins.map((a) => a.end()));
  await Promise.all(committers.map((c) => c.stop()));
  process.stdout.write(
    `${JSON.stringify({ groups, ballots, inFlight, seconds: Math.round(seconds * 10) / 10, ballotsPerSecond: Math.round(ballots / seconds), perGroup })}\n`,
  );
} finally {
  await Promise.all(pools.map((p) => p.end({ timeout: 2 })));
  await Promise.all(servers.map((s) => s.stop()));
  rmSync(dir, { recursive: true, force: true });
}
