/**
 * vote-api's own CPU per counted ballot, the whole service as a process behind nothing (bench mode,
 * ballots sent to its port at a fixed rate), with one or more vote shard groups:
 *
 *   node --import tsx services/vote-api/bench/vote-path-cost.ts [--shards 1] [--rate 300] [--seconds 20]
 *
 * A stack of its own in a temporary directory (seed off), an open election, then `rate` fresh
 * ballots a second for `seconds` (no duplicates or retries, so every 201 is a commit). Per counted
 * ballot: vote-api's CPU (user + system, /proc) and each shard group's PostgreSQL CPU (its process
 * tree). It uses only what the stack had before sharding, so the same file runs on an older checkout
 * (`--shards 1`) to compare before and after. The last line printed is one JSON object.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { audienceOnOneAddress, BenchIssuer, cpuSeconds, createOpenElection, provisionVoters, runLoad } from '@onevote/bench';
import { killChildrenOnSignal, type PostgresServer, startStack } from '@onevote/stack';

const { values: args } = parseArgs({
  options: {
    shards: { type: 'string', default: '1' },
    rate: { type: 'string', default: '300' },
    seconds: { type: 'string', default: '20' },
    concurrency: { type: 'string', default: '32' },
  },
});
const shards = Number(args.shards);
const rate = Number(args.rate);
const seconds = Number(args.seconds);

killChildrenOnSignal();

const dir = mkdtempSync(join(tmpdir(), 'vote-path-cost-'));
const issuer = await BenchIssuer.start();
const stack = await startStack({
  dir,
  portMode: 'random',
  logTo: 'files',
  seed: false,
  logLevel: 'warn',
  extraIssuers: [issuer.trustEntry],
  extraEnv: { ...audienceOnOneAddress, TOKEN_MAX_LIFETIME_SECONDS: '1800' },
  // Ignored by a checkout from before sharding (one PostgreSQL either way with --shards 1).
  ...(shards > 1 ? { postgresShards: shards } : {}),
});
try {
  const election = await createOpenElection(stack.gatewayUrl, issuer);
  const voteApi = stack.services.get('vote-api')!;
  const servers: PostgresServer[] =
    (stack.infra.servers as { postgresShards?: PostgresServer[] }).postgresShards ?? [stack.infra.servers.postgres!];
  const load = (n: number, s: number) =>
    runLoad({
      baseUrls: [voteApi.url],
      electionId: election.id,
      questionId: election.questionId,
      optionIds: election.optionIds,
      voters: provisionVoters(issuer, n, 'onevote', 1800),
      durationSeconds: s,
      concurrency: Number(args.concurrency),
      rate,
      duplicateShare: 0,
      retryShare: 0,
    });
  await load(Math.min(2000, rate * 3), 3); // warm-up: JIT, pools, salts, caches
  const voters = Math.ceil(rate * seconds * 1.05);
  const before = { api: cpuSeconds(voteApi.process.pid!, false), pg: servers.map((s) => cpuSeconds(s.pid!, true)) };
  const state = await load(voters, seconds);
  const after = { api: cpuSeconds(voteApi.process.pid!, false), pg: servers.map((s) => cpuSeconds(s.pid!, true)) };
  const counted = state.counted;
  const us = (cpu: number) => Math.round((cpu * 1e6) / Math.max(1, counted));
  process.stdout.write(
    `${JSON.stringify({
      shards,
      rate,
      seconds,
      counted,
      errors: state.errors,
      voteApiUsPerBallot: us(after.api - before.api),
      postgresUsPerBallot: servers.map((_, i) => us(after.pg[i]! - before.pg[i]!)),
      p50Ms: Math.round(state.latency201.percentile(50) * 10) / 10,
      p99Ms: Math.round(state.latency201.percentile(99) * 10) / 10,
    })}\n`,
  );
} finally {
  await stack.stop();
  await issuer.stop();
  rmSync(dir, { recursive: true, force: true });
}
