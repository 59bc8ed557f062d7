/**
 * What tracing costs a ballot in vote-api's own process, apart from everything else the end-to-end
 * bench measures (which, on a shared 2-core machine, swings by more than tracing costs):
 *
 *   node --import tsx services/vote-api/bench/tracing-cost.ts [--ballots 30000] [--rounds 2]
 *
 * Each mode runs in a process of its own (tracing is set up once per process), in rounds that
 * interleave the modes: `off` (no endpoint), `default` (parent-based, ratio 0.01) and `full` (ratio
 * 1), exporting protobuf to an OTLP receiver in a further process. A ballot is a request through
 * the platform's server (its tracing hooks, `app.inject`), the vote path's spans (authenticate,
 * risk, enqueue), a real GroupCommitter over an in-memory store (the batch span, the commit span),
 * the tally notification's producer span and, in the same process, the consumer span and the frame
 * span results would make. Per ballot: the process's CPU (user + system) from `process.cpuUsage`,
 * including the exporter's serialisation and HTTP. The last line printed is one JSON object.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { OtlpReceiver } from '@onevote/stack';
import {
  bootService,
  consumeTraced,
  createServer,
  publishTraced,
  serviceConfig,
  withSpan,
  withSpanSync,
} from '@onevote/platform';
import type { BallotStore, BallotToCommit, CommitResult } from '../src/adapters/ballot-store.ts';
import { GroupCommitter } from '../src/group-commit/group-commit.ts';
import { createVoteMetrics } from '../src/metrics.ts';

const { values: args } = parseArgs({
  options: {
    ballots: { type: 'string', default: '30000' },
    rounds: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '64' },
    // Internal: run one mode in this process and print its figures.
    mode: { type: 'string', default: '' },
    endpoint: { type: 'string', default: '' },
  },
});

const ballots = Number(args.ballots);
const concurrency = Number(args.concurrency);

/** A store that commits at once (the next turn of the event loop): the queue logic, no database. */
class MemoryStore {
  commit(batch: readonly BallotToCommit[]): Promise<CommitResult> {
    return new Promise((resolve) =>
      setImmediate(() => resolve({ inserted: batch.map((b) => ({ ...b, countedAt: new Date() })), existing: [] })),
    );
  }
}

async function runMode(mode: string, endpoint: string) {
  const env: Record<string, string> =
    mode === 'off'
      ? {}
      : { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, ...(mode === 'full' ? { OTEL_TRACES_SAMPLER_ARG: '1' } : {}) };
  // Booted like a service (the bootstrap sets tracing up), with an app built the platform's way.
  const service = await bootService(
    {
      name: 'vote-api',
      configSchema: serviceConfig({}),
      async build({ logger, metrics }) {
        const voteMetrics = createVoteMetrics(metrics);
        const committer = new GroupCommitter(
          new MemoryStore() as unknown as BallotStore,
          {
            maxBatch: 100,
            maxWaitMs: 0,
            concurrency: 4,
            maxQueue: 10_000,
            latencyLimitMs: 60_000,
            timeoutMs: 60_000,
            breakerFailures: 5,
            breakerOpenMs: 1000,
          },
          { logger, metrics: voteMetrics },
        );
        // The tally notification and what results does with it, in this process.
        committer.onCommit((result) =>
          publishTraced('tally-changed publish', { 'messaging.system': 'nats' }, (headers) =>
            consumeTraced('tally-changed process', headers, {}, () =>
              withSpanSync('results.build_frame', () => JSON.stringify({ ballots: result.inserted.length })),
            ),
          ),
        );
        const app = createServer({ service: 'vote-api', logger, metrics, trustedProxies: '127.0.0.1' });
        app.post('/v1/elections/:id/votes', async (request, reply) => {
          await withSpan('vote.authenticate', async () => undefined);
          await withSpan('vote.risk', async () => undefined);
          const seat = await withSpan('vote.enqueue', () =>
            committer.submit({
              electionId: (request.params as { id: string }).id,
              voterId: randomUUID(),
              receiptId: randomUUID(),
              idempotencyKey: randomUUID(),
              selections: [],
            }),
          );
          return reply.status(201).send({ receiptId: seat.stored.receiptId });
        });
        return { app };
      },
    },
    { env: { ...env, LOG_LEVEL: 'warn', PORT: '0' } },
  );
  const app = service.app!;
  const election = randomUUID();
  const cast = async (n: number) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next++ < n) {
          const res = await app.inject({ method: 'POST', url: `/v1/elections/${election}/votes`, payload: {} });
          if (res.statusCode !== 201) throw new Error(`answered ${res.statusCode}`);
        }
      }),
    );
  };
  await cast(Math.min(5000, ballots)); // warm-up (JIT, pools)
  const before = process.cpuUsage();
  const wall = performance.now();
  await cast(ballots);
  // The spans still buffered are part of the cost: flushed by the close.
  await service.close();
  const cpu = process.cpuUsage(before);
  const seconds = (performance.now() - wall) / 1000;
  process.stdout.write(
    `${JSON.stringify({ mode, ballots, cpuUsPerBallot: (cpu.user + cpu.system) / ballots, ballotsPerSecond: ballots / seconds })}\n`,
  );
}

async function main() {
  if (args.mode) {
    await runMode(args.mode, args.endpoint);
    return;
  }
  const receiver = await OtlpReceiver.start();
  const self = fileURLToPath(import.meta.url);
  const results: Record<string, number[]> = { off: [], default: [], full: [] };
  try {
    for (let round = 0; round < Number(args.rounds); round++) {
      for (const mode of ['off', 'default', 'full']) {
        // The receiver is in this process, so the child's figures exclude it.
        const line = await new Promise<string>((resolve, reject) => {
          execFile(
            process.execPath,
            ['--import', 'tsx', self, '--mode', mode, '--endpoint', receiver.url, '--ballots', String(ballots), '--concurrency', String(concurrency)],
            { maxBuffer: 1 << 20 },
            (err, stdout) => (err ? reject(err) : resolve(stdout.trim().split('\n').at(-1)!)),
          );
        });
        const figures = JSON.parse(line) as { cpuUsPerBallot: number; ballotsPerSecond: number };
        results[mode]!.push(figures.cpuUsPerBallot);
        process.stderr.write(`[tracing-cost] round ${round + 1} ${mode}: ${figures.cpuUsPerBallot.toFixed(1)} µs/ballot, ${Math.round(figures.ballotsPerSecond)}/s\n`);
      }
    }
  } finally {
    await receiver.stop();
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const off = median(results.off!);
  const summary = {
    ballots,
    rounds: Number(args.rounds),
    cpuUsPerBallot: Object.fromEntries(Object.entries(results).map(([m, xs]) => [m, xs.map((x) => Math.round(x * 10) / 10)])),
    addedUsPerBallot: {
      default: Math.round((median(results.default!) - off) * 10) / 10,
      full: Math.round((median(results.full!) - off) * 10) / 10,
    },
    exports: { requests: receiver.requests, bytes: receiver.bytes },
    cpu: execFileSync('sh', ['-c', "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"]).toString().trim(),
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

await main();
