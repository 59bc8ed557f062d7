/**
 * What a relay of counted ballots to JetStream adds per ballot to PostgreSQL (issue 15, ADR 0003):
 * a transactional outbox written by the commit statement, or logical decoding (pgoutput) of the
 * WAL that the commit writes anyway.
 *
 *   node --import tsx services/relay/bench/commit-cost.ts [--ballots 200000] [--batch 100,20]
 *     [--runs 2] [--concurrency 4] [--poll-ms 50] [--rate 0] [--variants baseline,outbox,...]
 *
 * A private PostgreSQL (tools/stack settings: wal_level=logical, fsync and synchronous_commit on)
 * gets a fresh database per run with vote-api's migrations. `--concurrency` connections (vote-api's
 * COMMIT_CONCURRENCY) commit the same pre-built ballots back to back in group-commit batches, with
 * the production statement. Variants:
 *   baseline        the commit statement alone, no slot;
 *   outbox          the statement with one more CTE writing each inserted ballot to an outbox, no reader;
 *   outbox-drain    the same, with a relay session reading the outbox in seq order and deleting what it read;
 *   logical         baseline, plus a publication and a pgoutput slot that a relay session drains with
 *                   pg_logical_slot_get_binary_changes while the commits run (and once after);
 *   logical-peek    the same, draining with peek + pg_replication_slot_advance (at-least-once, as the
 *                   relay must: the position moves only after a publish is acknowledged);
 *   logical-once    baseline with the slot, read by one get_binary_changes call after the commits: one
 *                   decoding pass over the run's WAL, the floor a streaming (walsender) consumer pays.
 * Each SQL-interface call decodes from the slot's restart_lsn, which moves only at a running-xacts
 * record (bgwriter: every 15 s, and at checkpoints), so polling re-decodes up to 15 s of WAL per
 * call. Runs shorter than that (flat out, the default) see part of it; `--rate` paces the commits
 * (ballots/s) so a run can span several such intervals, as a relay in steady state does.
 * Variants run interleaved (every variant once, then again), so a slow phase of a shared machine
 * touches all of them. Per ballot: CPU of PostgreSQL's whole process tree from /proc, of it the
 * relay session's own backend, WAL bytes (pg_stat_wal and the LSN difference), and each commit
 * statement's latency as the client sees it. The last line printed is one JSON object.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { cpuSeconds } from '@onevote/bench';
import { createLogger, createPostgres, migrate, type Sql } from '@onevote/platform';
import { freePort, killChildrenOnSignal, PostgresServer, repoRoot, waitFor } from '@onevote/stack';
import { commitStatement } from '../../vote-api/src/adapters/ballot-store.ts';

const variants = ['baseline', 'outbox', 'outbox-drain', 'logical', 'logical-peek', 'logical-once'] as const;
type Variant = (typeof variants)[number];

const { values: args } = parseArgs({
  options: {
    ballots: { type: 'string', default: '200000' },
    batch: { type: 'string', default: '100,20' },
    runs: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '4' },
    'poll-ms': { type: 'string', default: '50' },
    'relay-batch': { type: 'string', default: '10000' },
    rate: { type: 'string', default: '0' },
    variants: { type: 'string', default: variants.join(',') },
  },
});
const ballotCount = Number(args.ballots);
const batchSizes = args.batch.split(',').map(Number);
const runs = Number(args.runs);
const concurrency = Number(args.concurrency);
const pollMs = Number(args['poll-ms']);
const relayBatch = Number(args['relay-batch']);
const rate = Number(args.rate);
const chosen = args.variants.split(',') as Variant[];
for (const v of chosen) if (!variants.includes(v)) throw new Error(`unknown variant ${v}; one of ${variants.join(', ')}`);
const tallySlots = 16; // vote-api's TALLY_SLOTS default

const publication = 'onevote_ballots';
const outboxTable = `
create table votes.ballot_outbox (
  seq         bigserial   primary key,
  election_id uuid        not null,
  receipt_id  uuid        not null,
  selections  jsonb       not null,
  counted_at  timestamptz not null
)`;
// The production statement with one more CTE: every row `ins` inserted goes to the outbox in the
// same transaction (no voter_id: the audit log never carries it).
const finalSelect = '\nselect election_id, voter_id, receipt_id, idempotency_key, counted_at from ins';
if (!commitStatement.endsWith(finalSelect)) throw new Error('commitStatement changed shape; update the outbox variant');
const outboxStatement = `${commitStatement.slice(0, -finalSelect.length)},
outboxed as (
  insert into votes.ballot_outbox (election_id, receipt_id, selections, counted_at)
  select election_id, receipt_id, selections, counted_at from ins
  order by election_id, voter_id
)${finalSelect}`;

// ---- the ballots: built once, the same for every run -------------------------------------------

const electionId = randomUUID();
const questionId = randomUUID();
const optionIds = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
type Params = [string[], string[], string[], string[], string[]];
function buildBatches(size: number): Params[] {
  const out: Params[] = [];
  for (let start = 0; start < ballotCount; start += size) {
    const n = Math.min(size, ballotCount - start);
    const p: Params = [[], [], [], [], []];
    for (let i = 0; i < n; i++) {
      p[0].push(electionId);
      p[1].push(`bench:${randomUUID()}`);
      p[2].push(randomUUID());
      p[3].push(randomUUID());
      p[4].push(JSON.stringify([{ questionId, optionIds: [optionIds[(start + i) % optionIds.length]] }]));
    }
    out.push(p);
  }
  return out;
}

// ---- measurement helpers ------------------------------------------------------------------------

const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
/** CPU seconds (utime + stime) of one process, e.g. one backend. */
function processCpuSeconds(pid: number): number {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

interface WalSnapshot {
  walBytes: number;
  walRecords: number;
  walFpi: number;
  lsn: string;
}
async function walSnapshot(admin: Sql): Promise<WalSnapshot> {
  const [row] = await admin<{ wal_bytes: string; wal_records: string; wal_fpi: string; lsn: string }[]>`
    select wal_bytes::text, wal_records::text, wal_fpi::text, pg_current_wal_lsn()::text as lsn from pg_stat_wal`;
  return { walBytes: Number(row!.wal_bytes), walRecords: Number(row!.wal_records), walFpi: Number(row!.wal_fpi), lsn: row!.lsn };
}
async function lsnDiff(admin: Sql, a: string, b: string): Promise<number> {
  const [row] = await admin<{ d: string }[]>`select (${b}::pg_lsn - ${a}::pg_lsn)::text as d`;
  return Number(row!.d);
}

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

/**
 * Runs `work` in a session of its own, closed and its backend gone when this resolves: a backend
 * flushes its WAL statistics when it exits, so set-up and clean-up never leak into a measurement.
 */
async function inSession<T>(url: string, name: string, work: (sql: Sql) => Promise<T>): Promise<T> {
  const { sql, pid } = await session(url, name);
  try {
    return await work(sql);
  } finally {
    await sql.end();
    await waitFor(`${name} backend to exit`, () => !existsSync(`/proc/${pid}`), { intervalMs: 20 });
  }
}

/** Connects one session and returns it with its backend's pid. */
async function session(url: string, name: string): Promise<{ sql: Sql; pid: number }> {
  const sql = createPostgres(url, { max: 1, applicationName: name });
  const [row] = await sql<{ pid: number }[]>`select pg_backend_pid() as pid`;
  return { sql, pid: row!.pid };
}

// ---- relay sessions -----------------------------------------------------------------------------

interface RelayStats {
  calls: number;
  ballots: number;
  bytes: number;
  maxRetainedWal: number;
}

/** Counts pgoutput messages: 'I' is an insert (one per ballot); every message's bytes are counted. */
function countMessages(rows: { data: Buffer }[], stats: RelayStats) {
  for (const { data } of rows) {
    stats.bytes += data.length;
    if (data[0] === 0x49) stats.ballots++;
  }
}

/**
 * Drains until every ballot was read, polling every `pollMs` while less than a full batch comes
 * back (a relay's loop). `committing()` tells whether the committers are still running.
 */
async function drain(
  variant: Variant,
  sql: Sql,
  slot: string,
  committing: () => boolean,
  stats: RelayStats,
): Promise<void> {
  if (variant === 'logical-once') {
    await waitFor('the commits to finish', () => !committing(), { timeoutMs: 3_600_000, intervalMs: 20 });
    const rows = await sql.unsafe<{ data: Buffer }[]>(
      `select data from pg_logical_slot_get_binary_changes($1, null, null, 'proto_version', '1', 'publication_names', '${publication}')`,
      [slot],
    );
    countMessages(rows, stats);
    stats.calls++;
    return;
  }
  let idleSince = Date.now();
  while (stats.ballots < ballotCount) {
    let read = 0;
    if (variant === 'logical') {
      const rows = await sql.unsafe<{ data: Buffer }[]>(
        `select data from pg_logical_slot_get_binary_changes($1, null, $2, 'proto_version', '1', 'publication_names', '${publication}')`,
        [slot, relayBatch],
        { prepare: true },
      );
      countMessages(rows, stats);
      read = rows.length;
    } else if (variant === 'logical-peek') {
      const rows = await sql.unsafe<{ lsn: string; data: Buffer }[]>(
        `select lsn::text, data from pg_logical_slot_peek_binary_changes($1, null, $2, 'proto_version', '1', 'publication_names', '${publication}')`,
        [slot, relayBatch],
        { prepare: true },
      );
      countMessages(rows, stats);
      read = rows.length;
      // Output stops at a transaction's end, so the last message is a commit ('C'), whose lsn is the
      // end of that transaction's commit record: the position to confirm once it is published.
      const last = rows.at(-1);
      if (last) {
        if (last.data[0] !== 0x43) throw new Error(`peek ended inside a transaction (message ${String.fromCharCode(last.data[0]!)})`);
        await sql.unsafe('select pg_replication_slot_advance($1, $2::pg_lsn)', [slot, last.lsn], { prepare: true });
      }
    } else {
      // A real outbox reader: oldest first, then delete exactly the rows it read (a range delete
      // could take a row with a lower seq that committed after the read).
      const rows = await sql.unsafe<{ seq: string; election_id: string; receipt_id: string; selections: unknown; counted_at: Date }[]>(
        'select seq, election_id, receipt_id, selections, counted_at from votes.ballot_outbox order by seq limit $1',
        [relayBatch],
        { prepare: true },
      );
      if (rows.length > 0) {
        await sql.unsafe('delete from votes.ballot_outbox where seq = any($1::bigint[])', [rows.map((r) => r.seq)] as never[], {
          prepare: true,
        });
      }
      stats.ballots += rows.length;
      read = rows.length;
    }
    stats.calls++;
    if (read > 0) idleSince = Date.now();
    else if (!committing() && Date.now() - idleSince > 30_000) throw new Error(`${variant}: relay stuck at ${stats.ballots} ballots`);
    if (read < relayBatch) await delay(pollMs);
  }
}

// ---- one run ------------------------------------------------------------------------------------

interface RunResult {
  variant: Variant;
  batch: number;
  rep: number;
  ballots: number;
  seconds: number;
  ballotsPerSecond: number;
  pgCpuUsPerBallot: number;
  relaySessionCpuUsPerBallot: number | null;
  pgCpuUsPerBallotWithoutRelaySession: number;
  walBytesPerBallot: number;
  lsnBytesPerBallot: number;
  walRecordsPerBallot: number;
  walFpi: number;
  commitP50Ms: number;
  commitP99Ms: number;
  decodedBytesPerBallot: number | null;
  relayCalls: number | null;
  maxRetainedWalBytes: number | null;
}

async function runOnce(
  server: PostgresServer,
  monitor: Sql,
  variant: Variant,
  batch: number,
  rep: number,
  batches: Params[],
): Promise<RunResult> {
  const database = `bench_${variant.replaceAll('-', '_')}_${batch}_${rep}`;
  const slot = `relay_${database}`;
  const url = server.urlFor(database);
  await inSession(server.adminUrl, 'bench-setup', (sql) => sql.unsafe(`create database ${database}`));
  await inSession(url, 'bench-setup', async (sql) => {
    await migrate(sql, { schema: 'votes', dir: join(repoRoot, 'services/vote-api/migrations'), logger: createLogger('bench', 'warn') });
    if (variant.startsWith('outbox')) await sql.unsafe(outboxTable);
    if (variant.startsWith('logical')) {
      await sql.unsafe(`create publication ${publication} for table votes.ballots with (publish = 'insert', publish_via_partition_root = true)`);
      await sql`select pg_create_logical_replication_slot(${slot}, 'pgoutput')`;
    }
    // Every run starts right after a checkpoint, so full-page images weigh the same in each.
    await sql`checkpoint`;
  });

  const workers = await Promise.all(Array.from({ length: concurrency }, (_, i) => session(url, `bench-commit-${i}`)));
  const hasRelay = variant !== 'baseline' && variant !== 'outbox';
  const relay = hasRelay ? await session(url, 'bench-relay') : undefined;
  const statement = variant.startsWith('outbox') ? outboxStatement : commitStatement;
  const batchSize = batches[0]![0].length;
  // Each session prepares its statements on first use (inside the measurement: once per connection,
  // as in vote-api, and negligible over the run).
  const postmaster = server.pid!;
  const before = { pg: cpuSeconds(postmaster, true), relay: relay ? processCpuSeconds(relay.pid) : 0, wal: await walSnapshot(monitor) };
  const started = performance.now();

  const latencies: number[] = [];
  let next = 0;
  let running = concurrency;
  const stats: RelayStats = { calls: 0, ballots: 0, bytes: 0, maxRetainedWal: 0 };
  let sampling = variant.startsWith('logical');
  const sampler = (async () => {
    while (sampling) {
      const [row] = await monitor<{ retained: string | null }[]>`
        select (pg_current_wal_lsn() - restart_lsn)::text as retained from pg_replication_slots where slot_name = ${slot}`;
      stats.maxRetainedWal = Math.max(stats.maxRetainedWal, Number(row?.retained ?? 0));
      await delay(250);
    }
  })();
  const commits = workers.map(async ({ sql }, w) => {
    let tallySlot = Math.floor((w * tallySlots) / concurrency);
    while (true) {
      const i = next++;
      if (i >= batches.length) break;
      tallySlot = (tallySlot + 1) % tallySlots;
      if (rate > 0) {
        const due = started + ((i * batchSize) / rate) * 1000;
        const wait = due - performance.now();
        if (wait > 0) await delay(wait);
      }
      const t0 = performance.now();
      await sql.unsafe(statement, [...batches[i]!, tallySlot] as never[], { prepare: true });
      latencies.push(performance.now() - t0);
    }
    running--;
  });
  const drained = relay ? drain(variant, relay.sql, slot, () => running > 0, stats) : Promise.resolve();
  await Promise.all([...commits, drained]);
  const seconds = (performance.now() - started) / 1000;
  sampling = false;
  await sampler;
  const relayCpu = relay ? processCpuSeconds(relay.pid) - before.relay : null;

  // Backends flush their WAL statistics when they exit: close every session and wait until the
  // postmaster has reaped them (then their CPU is in its children's time, counted once).
  const sessions = relay ? [...workers, relay] : workers;
  await Promise.all(sessions.map((s) => s.sql.end()));
  await waitFor('bench backends to exit', () => sessions.every((s) => !existsSync(`/proc/${s.pid}`)), { intervalMs: 20 });
  const after = { pg: cpuSeconds(postmaster, true), wal: await walSnapshot(monitor) };
  const lsnBytes = await lsnDiff(monitor, before.wal.lsn, after.wal.lsn);

  // The run must have done what it claims.
  await inSession(url, 'bench-check', async (sql) => {
    const [counts] = await sql<{ ballots: number; totalled: number }[]>`
      select (select count(*) from votes.ballots)::int as ballots,
             (select sum(ballots) from votes.ballot_totals)::int as totalled`;
    if (counts!.ballots !== ballotCount || counts!.totalled !== ballotCount)
      throw new Error(`${database}: ${counts!.ballots} ballots, ${counts!.totalled} totalled, expected ${ballotCount}`);
    if (variant === 'outbox') {
      const [o] = await sql<{ n: number }[]>`select count(*)::int as n from votes.ballot_outbox`;
      if (o!.n !== ballotCount) throw new Error(`${database}: ${o!.n} outbox rows`);
    }
    if (hasRelay && stats.ballots !== ballotCount) throw new Error(`${database}: relay read ${stats.ballots}`);
  });
  // Cleaning up writes WAL too, in a session that is gone before the next run's first snapshot.
  await inSession(server.adminUrl, 'bench-cleanup', async (sql) => {
    if (variant.startsWith('logical')) await sql`select pg_drop_replication_slot(${slot})`;
    await sql.unsafe(`drop database ${database}`);
  });

  latencies.sort((a, b) => a - b);
  const us = (cpu: number) => round((cpu * 1e6) / ballotCount);
  const pgCpu = after.pg - before.pg;
  return {
    variant,
    batch,
    rep,
    ballots: ballotCount,
    seconds: round(seconds),
    ballotsPerSecond: Math.round(ballotCount / seconds),
    pgCpuUsPerBallot: us(pgCpu),
    relaySessionCpuUsPerBallot: relayCpu === null ? null : us(relayCpu),
    pgCpuUsPerBallotWithoutRelaySession: us(pgCpu - (relayCpu ?? 0)),
    walBytesPerBallot: round((after.wal.walBytes - before.wal.walBytes) / ballotCount),
    lsnBytesPerBallot: round(lsnBytes / ballotCount),
    walRecordsPerBallot: round((after.wal.walRecords - before.wal.walRecords) / ballotCount),
    walFpi: after.wal.walFpi - before.wal.walFpi,
    commitP50Ms: round(percentile(latencies, 50)),
    commitP99Ms: round(percentile(latencies, 99)),
    decodedBytesPerBallot: variant.startsWith('logical') ? round(stats.bytes / ballotCount) : null,
    relayCalls: hasRelay ? stats.calls : null,
    maxRetainedWalBytes: variant.startsWith('logical') ? stats.maxRetainedWal : null,
  };
}

const round = (x: number) => Math.round(x * 10) / 10;

// ---- summary ------------------------------------------------------------------------------------

type Numeric = { [K in keyof RunResult]: RunResult[K] extends number | null ? K : never }[keyof RunResult];
const spread = (rows: RunResult[], key: Numeric) => {
  const xs = rows.map((r) => r[key]).filter((x): x is number => x !== null);
  if (xs.length === 0) return null;
  return { mean: round(xs.reduce((a, b) => a + b, 0) / xs.length), min: Math.min(...xs), max: Math.max(...xs) };
};
const summaryKeys = [
  'pgCpuUsPerBallot',
  'relaySessionCpuUsPerBallot',
  'pgCpuUsPerBallotWithoutRelaySession',
  'walBytesPerBallot',
  'lsnBytesPerBallot',
  'commitP50Ms',
  'commitP99Ms',
  'decodedBytesPerBallot',
  'ballotsPerSecond',
  'maxRetainedWalBytes',
] as const satisfies readonly Numeric[];

function summarise(results: RunResult[]) {
  const out = [];
  for (const batch of batchSizes) {
    const base = results.filter((r) => r.batch === batch && r.variant === 'baseline');
    const baseCpu = spread(base, 'pgCpuUsPerBallot')?.mean;
    const baseWal = spread(base, 'walBytesPerBallot')?.mean;
    for (const variant of chosen) {
      const rows = results.filter((r) => r.batch === batch && r.variant === variant);
      const s = Object.fromEntries(summaryKeys.map((k) => [k, spread(rows, k)])) as Record<(typeof summaryKeys)[number], ReturnType<typeof spread>>;
      const cpu = s.pgCpuUsPerBallot!.mean;
      const wal = s.walBytesPerBallot!.mean;
      out.push({
        variant,
        batch,
        runs: rows.length,
        ...s,
        addedCpuUsPerBallot: baseCpu === undefined ? null : round(cpu - baseCpu),
        addedWalBytesPerBallot: baseWal === undefined ? null : round(wal - baseWal),
      });
    }
  }
  return out;
}

function printTable(summary: ReturnType<typeof summarise>) {
  const fmt = (s: { mean: number; min: number; max: number } | null, digits = 1) =>
    s === null ? '–' : `${s.mean.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;
  const header = [
    'variant',
    'batch',
    'PG CPU µs/ballot',
    'of it relay session',
    'added vs baseline',
    'WAL B/ballot (pg_stat_wal)',
    'WAL B/ballot (LSN)',
    'commit p50 ms',
    'commit p99 ms',
    'decoded B/ballot',
    'ballots/s',
  ];
  console.log(`| ${header.join(' | ')} |`);
  console.log(`| ${header.map(() => '---').join(' | ')} |`);
  for (const s of summary) {
    const cells = [
      s.variant,
      String(s.batch),
      fmt(s.pgCpuUsPerBallot!),
      fmt(s.relaySessionCpuUsPerBallot!),
      s.addedCpuUsPerBallot === null ? '–' : `${s.addedCpuUsPerBallot >= 0 ? '+' : ''}${s.addedCpuUsPerBallot.toFixed(1)} µs, ${s.addedWalBytesPerBallot! >= 0 ? '+' : ''}${s.addedWalBytesPerBallot!.toFixed(0)} B`,
      fmt(s.walBytesPerBallot!, 0),
      fmt(s.lsnBytesPerBallot!, 0),
      fmt(s.commitP50Ms!, 2),
      fmt(s.commitP99Ms!, 2),
      fmt(s.decodedBytesPerBallot!, 0),
      fmt(s.ballotsPerSecond!, 0),
    ];
    console.log(`| ${cells.join(' | ')} |`);
  }
}

// ---- main ---------------------------------------------------------------------------------------

/** `openssl speed -seconds 3 ecdsap256`: P-256 verifies per second on one core (docs/benchmarks.md). */
function speedReference(): number | null {
  try {
    const out = execFileSync('openssl', ['speed', '-seconds', '3', 'ecdsap256'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const line = out.split('\n').find((l) => /^\s*256 bits ecdsa/.test(l));
    return line ? Number(line.trim().split(/\s+/).at(-1)) : null;
  } catch {
    return null;
  }
}

killChildrenOnSignal();
const reference = speedReference();
const machine = { cpuModel: cpus()[0]?.model ?? 'unknown', cores: cpus().length, loadAverage1m: round(loadavg()[0]!), opensslP256VerifiesPerSecond: reference };
const dir = mkdtempSync(join(tmpdir(), 'relay-bench-'));
const server = new PostgresServer(join(dir, 'postgres', 'data'), await freePort());
await server.start();
// Reads statistics only (writes no WAL); everything else runs in sessions of its own.
const monitor = createPostgres(server.adminUrl, { max: 1, applicationName: 'bench-monitor' });
try {
  const settings = Object.fromEntries(
    (
      await monitor<{ name: string; setting: string }[]>`
        select name, setting from pg_settings
        where name in ('server_version', 'wal_level', 'fsync', 'synchronous_commit', 'wal_compression', 'max_replication_slots',
                       'max_wal_senders', 'max_slot_wal_keep_size', 'shared_buffers', 'max_wal_size')`
    ).map((r) => [r.name, r.setting]),
  );
  if (settings.wal_level !== 'logical' || settings.fsync !== 'on' || settings.synchronous_commit !== 'on')
    throw new Error(`unexpected settings ${JSON.stringify(settings)}`);
  console.log(`PostgreSQL ${settings.server_version}; ${JSON.stringify(settings)}`);
  console.log(`machine ${JSON.stringify(machine)}`);
  console.log(
    `${ballotCount} ballots per run, batches ${batchSizes.join(' and ')}, ${concurrency} committing sessions, ` +
      `${rate > 0 ? `${rate} ballots/s` : 'flat out'}, ${runs} runs of ${chosen.join(', ')}`,
  );

  const prebuilt = new Map(batchSizes.map((b) => [b, buildBatches(b)]));
  const results: RunResult[] = [];
  for (let rep = 1; rep <= runs; rep++) {
    for (const batch of batchSizes) {
      for (const variant of chosen) {
        const r = await runOnce(server, monitor, variant, batch, rep, prebuilt.get(batch)!);
        results.push(r);
        console.log(
          `run ${rep} ${variant.padEnd(12)} batch ${String(batch).padStart(4)}: ${String(r.pgCpuUsPerBallot).padStart(6)} µs PG` +
            `${r.relaySessionCpuUsPerBallot === null ? '' : ` (relay session ${r.relaySessionCpuUsPerBallot})`}, ` +
            `${r.walBytesPerBallot} B WAL, p50 ${r.commitP50Ms} p99 ${r.commitP99Ms} ms, ${r.ballotsPerSecond}/s` +
            `${r.decodedBytesPerBallot === null ? '' : `, decoded ${r.decodedBytesPerBallot} B, retained ≤ ${r.maxRetainedWalBytes} B`}`,
        );
      }
    }
  }
  const summary = summarise(results);
  console.log('');
  printTable(summary);
  console.log(
    JSON.stringify({ bench: 'relay-commit-cost', machine, postgres: settings, ballots: ballotCount, concurrency, rate, pollMs, relayBatch, summary, runs: results }),
  );
} finally {
  await monitor.end();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
