/**
 * vote-api's own CPU per counted ballot, in this process, apart from the load generator and the
 * servers (whose noise on a shared machine is larger than what is measured here):
 *
 *   node --import tsx services/vote-api/bench/vote-path-inprocess.ts [--ballots 5000] [--concurrency 32] [--shards 1]
 *
 * Private PostgreSQL (one server per vote shard group with `--shards`), Redis and NATS; vote-api
 * booted as main.ts boots it (bench-mode limits); an open election; every voter's token and DPoP
 * proof made *before* the clock starts. Then each ballot is one request through the service's server
 * (`app.inject`): the whole vote path, with its real Redis round trip and group commit. CPU is this
 * process's (user + system) over the measured ballots. It uses only what existed before sharding
 * (with `--shards 1`), so the same file runs on an older checkout to compare. The last line printed
 * is one JSON object.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { audienceOnOneAddress, BenchIssuer, dpopProof, provisionVoters } from '@onevote/bench';
import { ElectionConfigPublisher, openElectionsBucket } from '@onevote/election-config';
import { bootService, connectNats, createLogger } from '@onevote/platform';
import { killChildrenOnSignal, provisionDatabase, startInfra } from '@onevote/stack';
import { voteApiService } from '../src/service.ts';

const { values: args } = parseArgs({
  options: {
    ballots: { type: 'string', default: '5000' },
    warmup: { type: 'string', default: '1500' },
    concurrency: { type: 'string', default: '32' },
    shards: { type: 'string', default: '1' },
  },
});
const ballots = Number(args.ballots);
const warmup = Number(args.warmup);
const concurrency = Number(args.concurrency);
const shards = Number(args.shards);

killChildrenOnSignal();

const dir = mkdtempSync(join(tmpdir(), 'vote-path-inprocess-'));
const infra = await startInfra({ dir, env: {}, ...(shards > 1 ? { postgresShards: shards } : {}) });
const issuer = await BenchIssuer.start();
try {
  const servers = (infra as { postgresShardAdminUrls?: string[] }).postgresShardAdminUrls ?? [infra.postgresAdminUrl];
  const urls = await Promise.all(servers.map((server) => provisionDatabase(server, 'bench')));
  const bucket = 'bench_elections';
  const nc = await connectNats(infra.natsUrl, 'bench', createLogger('bench', 'warn'));
  const publisher = new ElectionConfigPublisher(await openElectionsBucket(nc, bucket, { create: true }));
  const service = await bootService(voteApiService, {
    env: {
      ...(audienceOnOneAddress as Record<string, string>),
      LOG_LEVEL: 'warn',
      PORT: '0',
      DATABASE_URL: urls[0]!['vote-api']!,
      ...(shards > 1 ? { VOTE_SHARD_URLS: urls.map((u) => u['vote-api']).join(' ') } : {}),
      REDIS_URL: infra.redisUrl,
      NATS_URL: infra.natsUrl,
      ELECTIONS_BUCKET: bucket,
      TRUSTED_ISSUERS: JSON.stringify([issuer.trustEntry]),
      ALTCHA_HMAC_KEY: randomBytes(32).toString('hex'),
      TOKEN_MAX_LIFETIME_SECONDS: '1800',
    },
  });
  try {
    const question = { id: randomUUID(), title: 'Q', minSelections: 1, maxSelections: 1, options: [0, 1, 2].map((i) => ({ id: randomUUID(), label: `o${i}` })) };
    const election = {
      id: randomUUID(),
      title: 'bench',
      description: '',
      status: 'open' as const,
      questions: [question],
      opensAt: null,
      closesAt: null,
      resultsVisibility: 'live' as const,
      requireChallenge: false,
      eligibility: 'open' as const,
      createdAt: new Date().toISOString(),
      revision: 1,
      ...(shards > 1 ? { shards } : {}),
    };
    await publisher.publish(election);
    while (!service.built.elections.get(election.id)) await new Promise((r) => setTimeout(r, 20));

    const url = `/v1/elections/${election.id}/votes`;
    const htu = `http://bench.local${url}`;
    // Everything the client does, done before the clock starts.
    const requests = provisionVoters(issuer, warmup + ballots, 'onevote', 1800).map((v, i) => ({
      headers: {
        host: 'bench.local',
        'content-type': 'application/json',
        authorization: v.authorization,
        dpop: dpopProof(v.key, 'POST', htu, v.ath),
        'idempotency-key': randomUUID(),
      },
      payload: JSON.stringify({ selections: [{ questionId: question.id, optionIds: [question.options[i % 3]!.id] }] }),
    }));
    const statuses: Record<string, number> = {};
    const cast = async (from: number, to: number) => {
      let next = from;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < to) {
            const r = requests[next++]!;
            const res = await service.app!.inject({ method: 'POST', url, headers: r.headers, payload: r.payload });
            statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
          }
        }),
      );
    };
    await cast(0, warmup); // JIT, pools, the salt, prepared statements
    for (const k of Object.keys(statuses)) delete statuses[k];
    const before = process.cpuUsage();
    const wall = performance.now();
    await cast(warmup, warmup + ballots);
    const cpu = process.cpuUsage(before);
    const seconds = (performance.now() - wall) / 1000;
    const counted = statuses['201'] ?? 0;
    process.stdout.write(
      `${JSON.stringify({ shards, ballots, counted, statuses, cpuUsPerBallot: Math.round((cpu.user + cpu.system) / Math.max(1, counted)), ballotsPerSecond: Math.round(counted / seconds) })}\n`,
    );
  } finally {
    await service.close();
    await nc.drain();
  }
} finally {
  await issuer.stop();
  await infra.stop();
  rmSync(dir, { recursive: true, force: true });
}
