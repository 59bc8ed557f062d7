/**
 * A first load measurement of vote-api (the bench issue builds the full generator): private
 * PostgreSQL, Redis and NATS; vote-api as its own process with the group-commit settings under test;
 * N distinct voters (each with its own DPoP key and token, proofs signed before the clock starts)
 * cast one ballot each over C keep-alive connections. Reports ballots/s, latency percentiles and
 * vote-api's CPU microseconds per ballot (utime + stime of its process from /proc).
 *
 *   node --import tsx services/vote-api/bench/load.ts [--ballots 20000] [--connections 256] \
 *     [--sweep "batch:wait:concurrency,..."]
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DpopKey, TokenIssuer } from '@onevote/auth/client';
import { ElectionConfigPublisher, openElectionsBucket } from '@onevote/election-config';
import { connectNats, createLogger } from '@onevote/platform';
import { freePort, provisionDatabase, repoRoot, startInfra, waitFor } from '@onevote/stack';

const { values: args } = parseArgs({
  options: {
    ballots: { type: 'string', default: '20000' },
    connections: { type: 'string', default: '256' },
    sweep: { type: 'string', default: '1:0:4,50:0:4,500:0:4,500:2:4,500:0:8' },
  },
});
const ballots = Number(args.ballots);
const connections = Number(args.connections);
const settings = args.sweep.split(',').map((s) => {
  const [batch, wait, concurrency] = s.split(':').map(Number);
  return { batch: batch!, wait: wait!, concurrency: concurrency! };
});

const logger = createLogger('bench', 'warn');
const infra = await startInfra({ dir: mkdtempSync(join(tmpdir(), 'vote-bench-')), env: {} });
const issuer = await TokenIssuer.start();
const nc = await connectNats(infra.natsUrl, 'bench', logger);
const bucket = `bench_${randomBytes(4).toString('hex')}`;
const publisher = new ElectionConfigPublisher(await openElectionsBucket(nc, bucket));
const port = await freePort();
const clockTicks = 100; // USER_HZ on Linux

function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) / clockTicks) * 1e6; // utime + stime
}

const results: string[] = [];
try {
  for (const s of settings) {
    const database = `bench_${randomBytes(4).toString('hex')}`;
    const urls = await provisionDatabase(infra.postgresAdminUrl, database);
    const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
    const main = join(repoRoot, 'services/vote-api/src/main.ts');
    const child = spawn(process.execPath, [...profile, '--import', 'tsx', main], {
      cwd: repoRoot,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        PATH: process.env.PATH,
        PORT: String(port),
        LOG_LEVEL: 'warn',
        DATABASE_URL: urls['vote-api'],
        REDIS_URL: infra.redisUrl,
        NATS_URL: infra.natsUrl,
        TRUSTED_ISSUERS: JSON.stringify([issuer.trustEntry]),
        ALTCHA_HMAC_KEY: randomBytes(32).toString('hex'),
        ELECTIONS_BUCKET: bucket,
        REDIS_KEY_PREFIX: `${database}:`,
        COMMIT_MAX_BATCH: String(s.batch),
        COMMIT_MAX_WAIT_MS: String(s.wait),
        COMMIT_CONCURRENCY: String(s.concurrency),
        // All load comes from 127.0.0.1: the per-IP and per-subnet rules would (rightly) stop it.
        RATE_PER_IP: '10000000',
        RISK_SUBNET_VOTERS_CHALLENGE: '0',
        RISK_IP_VELOCITY_CHALLENGE: '0',
      },
    });
    try {
      await waitFor('vote-api ready', async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok);
      const election = anElection();
      await publisher.publish(election);
      const url = `http://127.0.0.1:${port}/v1/elections/${election.id}/votes`;
      const requests = await prepare(election, url);
      // Warm-up: JIT, connections, JWKS fetch (not measured).
      await run(requests.splice(0, 1000), url);
      const cpu0 = cpuMicros(child.pid!);
      const t0 = performance.now();
      const { statuses, latencies } = await run(requests, url);
      const seconds = (performance.now() - t0) / 1000;
      const cpu = cpuMicros(child.pid!) - cpu0;
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const metric = (name: string) => Number(new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'm').exec(metrics)?.[1]);
      const meanBatch = metric('vote_commit_batch_size_sum') / metric('vote_commit_batch_size_count');
      latencies.sort((a, b) => a - b);
      const pct = (p: number) => latencies[Math.floor((latencies.length - 1) * p)]!.toFixed(1);
      const line =
        `| ${s.batch} | ${s.wait} | ${s.concurrency} | ${requests.length} | ${Math.round(requests.length / seconds)} | ` +
        `${Math.round(cpu / requests.length)} | ${meanBatch.toFixed(1)} | ${pct(0.5)} | ${pct(0.99)} | ${JSON.stringify(statuses)} |`;
      console.log(line);
      results.push(line);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  }
} finally {
  console.log(
    '\n| max batch | max wait ms | concurrency | ballots | ballots/s | vote-api CPU µs/ballot | mean batch | p50 ms | p99 ms | statuses |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const line of results) console.log(line);
  await nc.drain();
  await issuer.stop();
  await infra.stop();
}

function anElection() {
  const question = (min: number, max: number) => ({
    id: randomUUID(),
    title: 'q',
    minSelections: min,
    maxSelections: max,
    options: ['a', 'b', 'c', 'd'].map((label) => ({ id: randomUUID(), label })),
  });
  return {
    id: randomUUID(),
    title: 'bench',
    description: '',
    status: 'open' as const,
    questions: [question(1, 1)],
    opensAt: null,
    closesAt: null,
    resultsVisibility: 'live' as const,
    requireChallenge: false,
    createdAt: new Date().toISOString(),
    revision: 1,
  };
}

interface Prepared {
  headers: Record<string, string>;
  body: string;
}

/** Voters, tokens and proofs for one ballot each, signed before the clock starts. */
async function prepare(election: ReturnType<typeof anElection>, url: string): Promise<Prepared[]> {
  const question = election.questions[0]!;
  const out: Prepared[] = [];
  for (let i = 0; i < ballots + 1000; i++) {
    const key = await DpopKey.generate();
    const token = await issuer.mint({ sub: randomUUID(), jkt: key.jkt });
    const body = JSON.stringify({
      selections: [{ questionId: question.id, optionIds: [question.options[i % 4]!.id] }],
    });
    out.push({
      body,
      headers: {
        ...(await key.headers('POST', url, token)),
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        'idempotency-key': randomUUID(),
      },
    });
  }
  return out;
}

async function run(requests: Prepared[], url: string) {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const statuses: Record<number, number> = {};
  const latencies: number[] = [];
  let next = 0;
  const { hostname, port: p, pathname } = new URL(url);
  const one = (r: Prepared) =>
    new Promise<number>((resolve, reject) => {
      const req = request({ agent, hostname, port: p, path: pathname, method: 'POST', headers: r.headers }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end(r.body);
    });
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (next < requests.length) {
        const r = requests[next++]!;
        const t = performance.now();
        const status = await one(r);
        latencies.push(performance.now() - t);
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    }),
  );
  agent.destroy();
  return { statuses, latencies };
}
