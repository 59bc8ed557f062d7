/**
 * 10,000 concurrent SSE connections held by one results process (a separate process, as deployed),
 * memory per connection, fan-out time of one change to all of them, and memory while clients that
 * never read are fed frames.
 *
 *   ulimit -n 20000 && node --import tsx services/results/bench/sse-connections.ts [connections]
 *
 * Needs about connections + 100 file descriptors in each of this process and the results process.
 */
import { execSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { natsNames } from '@onevote/contracts';
import { ElectionConfigPublisher, openElectionsBucket } from '@onevote/election-config';
import { connectNats, createLogger, createPostgres, migrate } from '@onevote/platform';
import { freePort, ManagedProcess, provisionDatabase, repoRoot, startInfra, waitFor } from '@onevote/stack';

const connections = Number(process.argv[2] ?? 10_000);
const limit = Number(execSync('ulimit -n', { shell: '/bin/sh' }).toString().trim());
if (Number.isFinite(limit) && limit < connections + 200) {
  console.error(
    `ulimit -n is ${limit}; run: ulimit -n ${connections + 1000} && node --import tsx ${process.argv[1]}`,
  );
  process.exit(2);
}

const logger = createLogger('bench', 'warn');
const dir = mkdtempSync(join(tmpdir(), 'results-bench-'));
const infra = await startInfra({ dir, env: {} });
let results: ManagedProcess | undefined;
const sockets: Socket[] = [];

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

async function metric(opsUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${opsUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(name));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

try {
  const database = `bench_${randomUUID().slice(0, 8)}`;
  const urls = await provisionDatabase(infra.postgresAdminUrl, database);
  const writer = createPostgres(urls['vote-api']!, { applicationName: 'bench', max: 2 });
  await migrate(writer, { schema: 'votes', dir: join(repoRoot, 'services/vote-api/migrations'), logger });
  const nc = await connectNats(infra.natsUrl, 'bench', logger);
  const bucket = `elections_${randomUUID().slice(0, 8)}`;
  const publisher = new ElectionConfigPublisher(await openElectionsBucket(nc, bucket, { create: true }));

  const anElection = (options: number, labelLength: number) => ({
    id: randomUUID(),
    title: 'bench',
    description: '',
    status: 'open' as const,
    questions: [
      {
        id: randomUUID(),
        title: 'q',
        minSelections: 1,
        maxSelections: 1,
        options: Array.from({ length: options }, (_, i) => ({
          id: randomUUID(),
          label: `${'x'.repeat(labelLength)}${i}`,
        })),
      },
    ],
    opensAt: null,
    closesAt: null,
    resultsVisibility: 'live' as const,
    requireChallenge: false,
    eligibility: 'open' as const,
    createdAt: new Date().toISOString(),
    revision: 1,
  });
  const election = anElection(4, 10);
  await publisher.publish(election);

  const count = async (e: typeof election, ballots: number) => {
    const q = e.questions[0]!;
    await writer`insert into votes.tallies values (${e.id}, ${q.id}, ${q.options[0]!.id}, 0, ${ballots})
      on conflict (election_id, question_id, option_id, slot) do update set votes = votes.tallies.votes + excluded.votes`;
    await writer`insert into votes.ballot_totals values (${e.id}, 0, ${ballots})
      on conflict (election_id, slot) do update set ballots = votes.ballot_totals.ballots + excluded.ballots`;
    nc.publish(
      natsNames.tallyChanged(e.id),
      JSON.stringify({ electionId: e.id, ballots, committedAt: new Date().toISOString() }),
    );
  };

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const opsPort = await freePort();
  const ops = `http://127.0.0.1:${opsPort}`;
  results = new ManagedProcess({
    name: 'results',
    command: process.execPath,
    args: ['--import', 'tsx', join(repoRoot, 'services/results/src/main.ts')],
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      OPS_PORT: String(opsPort),
      HOST: '127.0.0.1',
      // One process, one address: the bench opens all its connections from 127.0.0.1.
      MAX_STREAMS: '1000000',
      MAX_STREAMS_PER_CLIENT: '1000000',
      LOG_LEVEL: 'warn',
      DATABASE_URL: urls.results,
      REDIS_URL: infra.redisUrl,
      NATS_URL: infra.natsUrl,
      ELECTIONS_BUCKET: bucket,
      TRUSTED_ISSUERS: JSON.stringify([{ issuer: 'http://127.0.0.1:9', jwksUrl: 'http://127.0.0.1:9/jwks' }]),
    },
  });
  await waitFor('results ready', async () => (await fetch(`${ops}/readyz`)).ok, { timeoutMs: 60_000 });
  const pid = results.pid!;
  await waitFor('results knows the election', async () => {
    return (await fetch(`${base}/v1/elections/${election.id}/results`)).ok;
  });
  // Warm up (JIT, first stream) before the baseline.
  for (let i = 0; i < 3; i++) await fetch(`${base}/v1/elections/${election.id}/results`);
  const rss0 = rssBytes(pid);
  const heap0 = await metric(ops, 'nodejs_heap_size_used_bytes');

  // Phase 1: N connections, each must receive its first frame.
  const request = `GET /v1/elections/${election.id}/results/stream HTTP/1.1\r\nhost: 127.0.0.1\r\naccept: text/event-stream\r\n\r\n`;
  const frames = new Uint32Array(connections);
  const open = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => {
        s.write(request);
        resolve();
      });
      s.setEncoding('utf8');
      s.on('data', (chunk: string) => {
        let at = chunk.indexOf('event: results');
        while (at >= 0) {
          frames[i]!++;
          at = chunk.indexOf('event: results', at + 1);
        }
      });
      s.on('error', reject);
      sockets.push(s);
    });
  const t0 = Date.now();
  for (let i = 0; i < connections; i += 500) {
    await Promise.all(Array.from({ length: Math.min(500, connections - i) }, (_, j) => open(i + j)));
  }
  await waitFor('every connection has its first frame', () => frames.every((n) => n >= 1), {
    timeoutMs: 120_000,
  });
  const connectMs = Date.now() - t0;
  await waitFor('the server counts every connection', async () => {
    return (await metric(ops, 'results_connections_open{transport="sse"')) === connections;
  });
  const rssN = rssBytes(pid);
  const heapN = await metric(ops, 'nodejs_heap_size_used_bytes');

  // Phase 2: one change fanned out to all of them.
  const t1 = Date.now();
  await count(election, 1);
  await waitFor('every connection has the change', () => frames.every((n) => n >= 2), { timeoutMs: 60_000 });
  const fanoutMs = Date.now() - t1;

  for (const s of sockets) s.destroy();
  sockets.length = 0;
  await waitFor('connections released', async () => {
    return (await metric(ops, 'results_connections_open{transport="sse"')) === 0;
  });

  // Phase 3: clients that never read, fed ~150 KB frames at the default 5 frames/s.
  const large = anElection(50, 2900);
  await publisher.publish(large);
  await waitFor('results knows the large election', async () => {
    return (await fetch(`${base}/v1/elections/${large.id}/results`)).ok;
  });
  const stalledCount = 50;
  for (let i = 0; i < stalledCount; i++) {
    const s = connect(port, '127.0.0.1');
    s.on('error', () => {});
    s.write(`GET /v1/elections/${large.id}/results/stream HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n`);
    s.pause();
    sockets.push(s);
  }
  await waitFor('stalled clients connected', async () => {
    return (await metric(ops, 'results_connections_open{transport="sse"')) === stalledCount;
  });
  const rssStalled0 = rssBytes(pid);
  let peakStalled = rssStalled0;
  const t2 = Date.now();
  await waitFor(
    'every stalled client is cut off',
    async () => {
      await count(large, 1);
      peakStalled = Math.max(peakStalled, rssBytes(pid));
      return (await metric(ops, 'results_connections_open{transport="sse"')) === 0;
    },
    { timeoutMs: 180_000, intervalMs: 200 },
  );
  const stalledMs = Date.now() - t2;
  const cut = await metric(ops, 'results_slow_clients_disconnected_total{transport="sse"');

  console.log(
    JSON.stringify(
      {
        connections,
        connectAndFirstFrameMs: connectMs,
        rssBaselineMiB: mb(rss0),
        rssWithConnectionsMiB: mb(rssN),
        rssPerConnectionKiB: ((rssN - rss0) / connections / 1024).toFixed(1),
        heapUsedPerConnectionKiB: ((heapN - heap0) / connections / 1024).toFixed(2),
        fanoutOneChangeToAllMs: fanoutMs,
        stalled: {
          clients: stalledCount,
          frameBytes: Buffer.byteLength(
            await (await fetch(`${base}/v1/elections/${large.id}/results`)).text(),
          ),
          cutOff: cut,
          secondsToCutAll: (stalledMs / 1000).toFixed(1),
          rssBeforeMiB: mb(rssStalled0),
          rssPeakMiB: mb(peakStalled),
        },
      },
      null,
      2,
    ),
  );
  await nc.drain();
  await writer.end();
} finally {
  for (const s of sockets) s.destroy();
  await results?.stop();
  await infra.stop();
}
