/**
 * `npm run bench`: starts the whole stack in bench mode (its own servers in a temporary directory,
 * the bench token issuer trusted, rate limits raised by config), opens an election, drives ballots
 * through the public API, then verifies from PostgreSQL that nothing was lost or double counted.
 * The last line printed is one JSON object with the figures.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  freePort,
  killChildrenOnSignal,
  type ManagedProcess,
  OtlpReceiver,
  type ServiceName,
  shardDatabaseAdminUrls,
  clusterReplicas,
  clusterTopology,
  spawnService,
  startStack,
  waitReady,
} from '@onevote/stack';
import { emailHasher } from '@onevote/auth';
import { mainThreadCpuSeconds, postgresCpuByRole, snapshot } from './cpu.ts';
import { counterSum, histogramQuantile, scrape } from './prometheus.ts';
import { audienceOnOneAddress, createOpenElection, serverComponents, uploadRoll, waitForTotal } from './harness.ts';
import { BenchIssuer } from './issuer.ts';
import { runLoad } from './load.ts';
import { measureReference } from './reference.ts';
import { readResults, subscribe } from './sse.ts';
import { round } from './stats.ts';
import { verify } from './verify.ts';
import { provisionVoters } from './voters.ts';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '60' },
    concurrency: { type: 'string', default: '64' },
    rate: { type: 'string', default: '0' },
    voters: { type: 'string', default: '' },
    subscribers: { type: 'string', default: '20' },
    'results-rps': { type: 'string', default: '20' },
    target: { type: 'string', default: 'gateway' },
    replicas: { type: 'string', default: '1' },
    // `--cluster`: the cluster topology of issue 18 (Redis Cluster, 3-node NATS, two HA PostgreSQL
    // shard groups, two replicas of each service); `--target vote-api` then spreads over both vote-api replicas.
    cluster: { type: 'boolean', default: false },
    'batch-max': { type: 'string', default: '' },
    'batch-wait-ms': { type: 'string', default: '' },
    keep: { type: 'boolean', default: false },
    'cpu-prof': { type: 'string', default: '' },
    'node-args': { type: 'string', default: '' },
    // `--without relay,audit`: the stack without those services, to measure what they cost.
    without: { type: 'string', default: '' },
    // `--eligibility verified_email` (or `roll`, every voter on its roll): the election admits only verified voters, whose tokens carry
    // `email_verified: true` (to measure the check against an `open` run).
    eligibility: { type: 'string', default: 'open' },
    // `--tracing default` (the default head-sampling ratio) or `full` (every request sampled): the
    // services export spans to an OTLP/HTTP receiver in the bench process; `off`: no exporter.
    tracing: { type: 'string', default: 'off' },
  },
});
if (!['off', 'default', 'full'].includes(args.tracing)) throw new Error('--tracing must be off, default or full');
if (args.eligibility !== 'open' && args.eligibility !== 'verified_email' && args.eligibility !== 'roll') {
  throw new Error('--eligibility must be open, verified_email or roll');
}
const eligibility = args.eligibility;

const duration = Number(args.duration);
const concurrency = Number(args.concurrency);
const rate = Number(args.rate);
const audience = 'onevote';
/** Long enough for voter set-up, the run and the verification. */
const voterTokenLifetime = () => Math.max(900, duration + 900);

// Bench mode: the same code paths, with limits raised by configuration (never bypassed in code):
// one audience on one loopback address would otherwise trip the per-IP limits at once.
const benchEnv: NodeJS.ProcessEnv = {
  ...audienceOnOneAddress,
  LOG_LEVEL: 'warn',
  // Voters are provisioned before the clock starts and their tokens must outlive the run.
  TOKEN_MAX_LIFETIME_SECONDS: String(voterTokenLifetime()),
  ...(args['batch-max'] ? { COMMIT_MAX_BATCH: args['batch-max'] } : {}),
  ...(args['batch-wait-ms'] ? { COMMIT_MAX_WAIT_MS: args['batch-wait-ms'] } : {}),
};

const nodeArgs = [
  // `--cpu-prof DIR`: every service writes a V8 CPU profile there when it stops.
  ...(args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${args['cpu-prof']}`] : []),
  // `--node-args=--flag,...`: Node or V8 options for every service (for A/B runs).
  ...args['node-args'].split(',').filter(Boolean),
];

const without = args.without.split(',').filter(Boolean) as ServiceName[];

killChildrenOnSignal();

const log = (line: string) => process.stderr.write(`${line}\n`);

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'onevote-bench-'));
  const issuer = await BenchIssuer.start();
  // A collector's stand-in: takes the exports (protobuf, as by default) and counts them, no more.
  const otlp = args.tracing === 'off' ? undefined : await OtlpReceiver.start();
  const tracingEnv: NodeJS.ProcessEnv = otlp
    ? { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, ...(args.tracing === 'full' ? { OTEL_TRACES_SAMPLER_ARG: '1' } : {}) }
    : {};
  log(`[bench] starting the stack in bench mode under ${dir}`);
  const stack = await startStack({
    dir,
    portMode: 'random',
    logTo: 'files',
    seed: false,
    logLevel: 'warn',
    extraEnv: { ...benchEnv, ...tracingEnv },
    extraIssuers: [issuer.trustEntry],
    nodeArgs,
    omit: without,
    ...(args.cluster ? { cluster: clusterTopology, replicas: clusterReplicas } : {}),
  });
  const extraReplicas: { url: string; process: ManagedProcess }[] = [];
  try {
    // `--replicas N`: N vote-api processes, as behind a load balancer (Node runs JavaScript on one
    // core per process). The extra ones take ballots only with `--target vote-api`.
    const first = stack.services.get('vote-api')!;
    for (let i = 2; i <= Number(args.replicas); i++) {
      const port = await freePort();
      const opsPort = await freePort();
      const env = { ...first.env, PORT: String(port), OPS_PORT: String(opsPort) };
      const proc = spawnService(first.def, env, join(dir, 'logs', `vote-api-${i}.log`), nodeArgs);
      await waitReady(`vote-api replica ${i}`, opsPort, proc);
      extraReplicas.push({ url: `http://127.0.0.1:${port}`, process: proc });
    }
    const voteApiUrls = (stack.replicas.get('vote-api') ?? [first]).map((r) => r.url);
    const targets = args.target === 'vote-api' ? [...voteApiUrls, ...extraReplicas.map((r) => r.url)] : [stack.gatewayUrl];
    const gateway = stack.gatewayUrl;

    const election = await createOpenElection(gateway, issuer, { eligibility });
    log(`[bench] election ${election.id} open; provisioning voters`);
    // Enough voters for the rate asked for, or for ~3,500 ballots/s when running flat out
    // (`--voters` to change); the run ends early if they run out.
    const expectedBallots = rate > 0 ? rate * duration : 3500 * duration;
    const voterCount = Number(args.voters || Math.ceil(expectedBallots * 1.1));
    const t0 = Date.now();
    // `roll`: every voter's (made-up) address is on the election's roll, uploaded through the API,
    // and its token carries the hash identity would put there (the stack's EMAIL_HASH_KEY).
    const rollEmail = (sub: string) => `bench-${sub}@roll.bench.example`;
    const hashEmail = emailHasher(stack.context.secrets.EMAIL_HASH_KEY);
    const voters = provisionVoters(issuer, voterCount, audience, voterTokenLifetime(), {
      emailVerified: eligibility !== 'open',
      ...(eligibility === 'roll' ? { emailHash: (sub: string) => hashEmail(rollEmail(sub)) } : {}),
    });
    if (eligibility === 'roll') {
      const roll = await uploadRoll(gateway, issuer, election.id, voters.map((v) => rollEmail(v.voterId.slice(issuer.voterPrefix.length))));
      log(`[bench] roll uploaded: ${JSON.stringify(roll)}`);
    }
    log(`[bench] ${voters.length} voters in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    // Measured while the stack is idle, before the load starts.
    const reference = measureReference();
    log(`[bench] speed reference: ${reference.p256VerifiesPerSecond} P-256 verifies/s on one core (${reference.cpuModel})`);

    const components = [
      ...serverComponents(stack),
      ...extraReplicas.map((r, i) => ({ name: `vote-api-${i + 2}`, pid: r.process.pid!, tree: false })),
    ];
    const resultsUrl = `${gateway}/v1/elections/${election.id}/results`;
    const countedAt: number[] = [];
    const sse = subscribe(`${resultsUrl}/stream`, Number(args.subscribers), countedAt);
    const reads = readResults(resultsUrl, Number(args['results-rps']));
    const voteApis = components.filter((c) => c.name.startsWith('vote-api'));
    const eventLoopSeconds = () => voteApis.reduce((sum, c) => sum + mainThreadCpuSeconds(c.pid), 0);
    const postgresPid = stack.infra.servers.postgres?.pid;
    const postgresBefore = postgresPid ? postgresCpuByRole(postgresPid) : new Map<string, number>();
    const cpuBefore = snapshot(components);
    const eventLoopBefore = eventLoopSeconds();
    const generatorBefore = process.cpuUsage();
    const wallStart = Date.now();

    const state = await runLoad({
      baseUrls: targets,
      electionId: election.id,
      questionId: election.questionId,
      optionIds: election.optionIds,
      voters,
      durationSeconds: duration,
      concurrency,
      rate,
      duplicateShare: 0.1,
      retryShare: 0.05,
      countedAt,
      onProgress: (s) => {
        const elapsed = (Date.now() - s.startedAt) / 1000;
        log(
          `[bench] ${elapsed.toFixed(0)}s counted ${s.counted} (${Math.round(s.counted / elapsed)}/s) p99 ${round(s.latency201.percentile(99))} ms errors ${JSON.stringify(s.errors)}`,
        );
      },
    });
    const wallSeconds = (Date.now() - wallStart) / 1000;
    // The relay and audit may still be working off the end of the load: their CPU for it counts, so
    // the snapshot waits until the log holds every counted ballot (or 15 s).
    if (!without.includes('audit')) await waitForLog(gateway, election.id, state.counted, 15_000);
    const cpuAfter = snapshot(components);
    const postgresAfter = postgresPid ? postgresCpuByRole(postgresPid) : new Map<string, number>();
    const eventLoopAfter = eventLoopSeconds();
    const generator = process.cpuUsage(generatorBefore);
    // Let the last frames arrive before measuring their lag.
    await waitForTotal(resultsUrl, state.counted, 5000);
    await sse.stop();
    const readStats = reads.stop();

    // Checked from every vote shard group (one without shards).
    const checks = await verify(shardDatabaseAdminUrls(stack.infra, stack.database), election.id, state.receipts);
    const lagOf = async (service: 'relay' | 'audit', metric: string) => {
      const ops = stack.services.get(service)?.opsUrl;
      if (!ops) return undefined;
      const text = await scrape(ops).catch(() => '');
      const q = (p: number) => {
        const v = histogramQuantile(text, metric, p);
        return v === undefined ? undefined : round(v * 1000);
      };
      return { p50Ms: q(0.5), p99Ms: q(0.99) };
    };

    // How well the relay and audit batch: ballots per vote-api transaction moved, leaves per append.
    const ratioOf = async (service: 'relay' | 'audit', numerator: string, denominator: string) => {
      const ops = stack.services.get(service)?.opsUrl;
      if (!ops) return undefined;
      const text = await scrape(ops).catch(() => '');
      const d = counterSum(text, denominator);
      return d === 0 ? undefined : round(counterSum(text, numerator) / d, 1);
    };

    const perComponent = Object.fromEntries(
      components.map((c) => [c.name, round(((cpuAfter.get(c.name)! - cpuBefore.get(c.name)!) * 1e6) / Math.max(1, state.counted))]),
    );
    // PostgreSQL's share by the role it worked for: the vote path's (onevote_votes) and the log's
    // (onevote_audit, walsender onevote_relay) apart.
    const postgresByRole = Object.fromEntries(
      [...postgresAfter]
        .map(([role, seconds]) => [role, round(((seconds - (postgresBefore.get(role) ?? 0)) * 1e6) / Math.max(1, state.counted))] as const)
        .filter(([, us]) => us > 0)
        .sort((a, b) => b[1] - a[1]),
    );
    const cpuUsPerBallot = round(Object.values(perComponent).reduce((a, b) => a + b, 0));
    const result = {
      ballotsPerSecond: round(state.counted / wallSeconds),
      counted: state.counted,
      sent: state.sent,
      durationSeconds: round(wallSeconds),
      p50Ms: round(state.latency201.percentile(50), 2),
      p95Ms: round(state.latency201.percentile(95), 2),
      p99Ms: round(state.latency201.percentile(99), 2),
      errors: state.errors,
      duplicates409: state.duplicates409,
      retries201: state.retries201,
      contractViolations: state.contractViolations,
      cpuUsPerBallot,
      cpuUsPerBallotByComponent: perComponent,
      postgresUsPerBallotByRole: postgresByRole,
      // The same cost in P-256 verifies of this machine, to carry it to another machine.
      cpuPerBallotInVerifies: round((cpuUsPerBallot * reference.p256VerifiesPerSecond) / 1e6, 2),
      // Of vote-api's CPU, what its main thread (the event loop) spent: one process serves at most
      // 1,000,000 / this ballots per second.
      voteApiEventLoopUsPerBallot: round(((eventLoopAfter - eventLoopBefore) * 1e6) / Math.max(1, state.counted)),
      // Not a server, so not in cpuUsPerBallot: it shares the cores, so it bounds ballots/s.
      generatorCpuUsPerBallot: round((generator.user + generator.system) / Math.max(1, state.counted)),
      sseLagP50Ms: round(sse.lag.percentile(50)),
      sseLagP99Ms: round(sse.lag.percentile(99)),
      sseFrames: sse.stats().frames,
      // Issue 15: commit -> JetStream (relay), JetStream -> signed head and commit -> signed head (audit).
      relayLag: await lagOf('relay', 'relay_lag_seconds'),
      auditLag: await lagOf('audit', 'audit_lag_seconds'),
      commitToSignedHead: await lagOf('audit', 'audit_commit_to_head_seconds'),
      auditLeavesPerAppend: await ratioOf('audit', 'audit_leaves_appended_total', 'audit_appends_total'),
      resultsReads: readStats,
      // What the services exported to the OTLP receiver during the whole run (set-up included).
      tracing: otlp ? { exports: otlp.requests, bytes: otlp.bytes } : undefined,
      lost: checks.lost,
      doubleCounted: checks.doubleCounted,
      undercounted: checks.undercounted,
      wrongVoter: checks.wrongVoter,
      ballotRows: checks.ballotRows,
      machine: reference,
      settings: { target: args.target, cluster: args.cluster, tracing: args.tracing, eligibility, without, replicas: Number(args.replicas), concurrency, rate, duration, cores: cpus().length, ...benchEnv },
    };
    printTable(result);
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await Promise.all(extraReplicas.map((r) => r.process.stop()));
    await stack.stop();
    await issuer.stop();
    await otlp?.stop();
    if (!args.keep) rmSync(dir, { recursive: true, force: true });
  }
}

function lag(value: unknown): string {
  const v = value as { p50Ms?: number; p99Ms?: number } | undefined;
  return v ? `${v.p50Ms ?? '-'} / ${v.p99Ms ?? '-'}` : '-';
}

/** Waits until the election's signed log holds `ballots` ballots (plus its events), or the deadline. */
async function waitForLog(gateway: string, electionId: string, ballots: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const res = await fetch(`${gateway}/v1/elections/${electionId}/log/head`).catch(() => undefined);
    if (res?.ok) {
      const head = (await res.json()) as { treeSize: number };
      if (head.treeSize >= ballots + 2) return;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

function printTable(r: Record<string, unknown>) {
  const rows: [string, unknown][] = [
    ['counted ballots/s', r.ballotsPerSecond],
    ['counted', r.counted],
    ['latency of 201 p50 / p95 / p99 (ms)', `${r.p50Ms} / ${r.p95Ms} / ${r.p99Ms}`],
    ['errors by status', JSON.stringify(r.errors)],
    ['duplicates answered 409 / retries answered 201', `${r.duplicates409} / ${r.retries201}`],
    ['contract violations', r.contractViolations],
    ['CPU µs per counted ballot (all servers)', `${r.cpuUsPerBallot} (${r.cpuPerBallotInVerifies} P-256 verifies)`],
    ['  by component', JSON.stringify(r.cpuUsPerBallotByComponent)],
    ['  of PostgreSQL, by role', JSON.stringify(r.postgresUsPerBallotByRole)],
    ['  of vote-api, its event loop', r.voteApiEventLoopUsPerBallot],
    ['CPU µs per counted ballot (load generator)', r.generatorCpuUsPerBallot],
    ['SSE lag p50 / p99 (ms)', `${r.sseLagP50Ms} / ${r.sseLagP99Ms}`],
    ['commit -> signed head p50 / p99 (ms)', lag(r.commitToSignedHead)],
    ['  of it commit -> JetStream (relay)', lag(r.relayLag)],
    ['leaves per audit append transaction', r.auditLeavesPerAppend],
    ['OTLP exports received (requests / bytes)', r.tracing ? `${(r.tracing as { exports: number }).exports} / ${(r.tracing as { bytes: number }).bytes}` : 'tracing off'],
    ['lost / double counted / undercounted', `${r.lost} / ${r.doubleCounted} / ${r.undercounted}`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(`\n${rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n\n`);
}

main().catch((err) => {
  console.error('[bench] failed:', err);
  process.exit(1);
});
