import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { banner } from './banner.ts';
import { MissingBinaryError } from './binaries.ts';
import { startInfra } from './infra.ts';
import { ManagedProcess } from './process.ts';
import { repoRoot, type ServiceName } from './services.ts';
import { clusterReplicas, clusterTopology, type Stack, startStack } from './stack.ts';

const [command = 'start', ...args] = process.argv.slice(2);

async function start() {
  const dir = join(repoRoot, '.data');
  const monitoring = args.includes('--monitoring');
  const cluster = args.includes('--cluster');
  console.log(
    (cluster
      ? '[stack] starting the cluster topology under .data/: a Redis Cluster (3 primaries + 3 replicas), a 3-node NATS cluster, two PostgreSQL shard groups (primary + synchronous standby, pg_auto_failover), two replicas of each service'
      : '[stack] starting PostgreSQL, Redis and NATS under .data/') +
      ' (unless DATABASE_URL, REDIS_URL, NATS_URL are set)' +
      (monitoring ? ', then Prometheus and the PostgreSQL and Redis exporters' : ''),
  );
  let stack: Stack | undefined;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n[stack] ${signal}: stopping every service, then PostgreSQL, Redis and NATS`);
    if (stack) await stack.stop();
    else await stopAll(); // still starting: stop whatever is up, newest first
    console.log('[stack] stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  stack = await startStack({
    dir,
    portMode: 'fixed',
    logTo: 'stdout',
    seed: true,
    ...(cluster ? { cluster: clusterTopology, replicas: clusterReplicas } : {}),
    ...(monitoring ? { monitoring: { scrapeInterval: process.env.PROMETHEUS_SCRAPE_INTERVAL || '5s' } } : {}),
  });
  if (stopping) return;
  watchForCrashes(stack, () => stopping);
  console.log(banner(stack, process.env));
}

async function stopAll() {
  for (const p of ManagedProcess.running().reverse()) await p.stop();
}

/** A service (any replica of it) that dies is started again (after a pause), like a Deployment would. */
function watchForCrashes(stack: Stack, stopping: () => boolean) {
  const watch = (name: ServiceName, index: number) => {
    const service = stack.replicas.get(name)![index]!;
    void service.process.exited.then(async (code) => {
      if (stopping()) return;
      const what = service.process.spec.name;
      console.error(`[stack] ${what} exited with code ${code}; starting it again in 2 s`);
      await new Promise((r) => setTimeout(r, 2000));
      if (stopping()) return;
      try {
        await stack.restart(name, index);
        watch(name, index);
      } catch (err) {
        console.error(`[stack] ${what} did not come back: ${(err as Error).message}`);
      }
    });
  };
  for (const [name, list] of stack.replicas) list.forEach((_, index) => watch(name, index));
}

function findTests(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry.startsWith('.') || entry === 'dist') continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) findTests(path, out);
    else if (/\.test\.ts$/.test(entry)) out.push(path);
  }
  return out;
}

/** The cluster suite's files (`npm run test:cluster`): each starts its own cluster topology. */
export function isClusterTest(file: string): boolean {
  const name = file.split('/').pop() ?? '';
  return /^cluster-.*\.test\.ts$/.test(name) || /-cluster\.test\.ts$/.test(name);
}

/**
 * `npm test`: private PostgreSQL, Redis and NATS in a temporary directory, then Node's test runner
 * over every `*.test.ts`. Test files create their own databases, buckets and services on them.
 * Extra arguments filter test files by path prefix. Then the cluster suite (`isClusterTest`; each
 * file starts its own Redis Cluster, NATS cluster and PostgreSQL shard groups), one file at a
 * time, unless ONEVOTE_SKIP_CLUSTER=1; `--cluster` runs only that suite.
 */
async function test() {
  const clusterOnly = args.includes('--cluster');
  const filters = args.filter((a) => a !== '--cluster');
  const files = ['packages', 'services', 'tools', 'web', 'deploy']
    .flatMap((d) => {
      try {
        return findTests(join(repoRoot, d));
      } catch {
        return [];
      }
    })
    .filter(
      (f) => filters.length === 0 || filters.some((a) => relative(repoRoot, f).startsWith(a.replace(/^\.\//, ''))),
    )
    .sort();
  const single = clusterOnly ? [] : files.filter((f) => !isClusterTest(f));
  const cluster = process.env.ONEVOTE_SKIP_CLUSTER === '1' && !clusterOnly ? [] : files.filter(isClusterTest);
  const dir = mkdtempSync(join(tmpdir(), 'onevote-test-'));
  const totals = { pass: 0, fail: 0 };
  let code = 0;
  // Tests always get the mail catcher, even with an SMTP_URL in the environment: their messages go
  // to made-up addresses and must never leave the machine. The cluster suite's files use these
  // servers too for what they do not run as a cluster themselves.
  const infra = await startInfra({ dir: join(dir, 'single'), env: { ...process.env, SMTP_URL: '' } });
  const env: NodeJS.ProcessEnv = {
    ONEVOTE_TEST_PG_ADMIN_URL: infra.postgresAdminUrl,
    ONEVOTE_TEST_REDIS_URL: infra.redisUrl,
    ONEVOTE_TEST_NATS_URL: infra.natsUrl,
    ...(infra.natsServiceUrls ? { ONEVOTE_TEST_NATS_SERVICE_URLS: JSON.stringify(infra.natsServiceUrls) } : {}),
    ...(infra.natsMonitorUrl ? { ONEVOTE_TEST_NATS_MONITOR_URL: infra.natsMonitorUrl } : {}),
    ONEVOTE_TEST_SMTP_URL: infra.smtpUrl,
    ...(infra.mailDir ? { ONEVOTE_TEST_MAIL_DIR: infra.mailDir } : {}),
    ONEVOTE_TEST_DIR: dir,
  };
  try {
    if (single.length > 0) {
      const run = await runTests(single, Number(process.env.ONEVOTE_TEST_CONCURRENCY ?? 2), dir, env);
      add(totals, run);
      if (run.code !== 0) code = run.code;
    }
    if (cluster.length > 0) {
      console.log(`[test] the cluster suite: ${cluster.length} files, one at a time (ONEVOTE_SKIP_CLUSTER=1 skips it)`);
      // One file at a time: each holds a whole cluster topology, and its faults must not hit another's load.
      const run = await runTests(cluster, 1, dir, env);
      add(totals, run);
      if (run.code !== 0) code = run.code;
    }
  } finally {
    await infra.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  // One closing line over both runs (each run's own summary is above it).
  console.log(`${totals.pass} passed, ${totals.fail} failed`);
  process.exit(code);
}

function add(totals: { pass: number; fail: number }, run: { pass: number; fail: number }) {
  totals.pass += run.pass;
  totals.fail += run.fail;
}

/** Node's test runner over `files`; the spec report to the terminal, the counts from a TAP copy. */
async function runTests(
  files: string[],
  concurrency: number,
  dir: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; pass: number; fail: number }> {
  const tap = join(dir, `report-${Date.now()}.tap`);
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--test',
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=tap',
      `--test-reporter-destination=${tap}`,
      `--test-concurrency=${concurrency}`,
      '--test-timeout=600000',
      ...files.map((f) => relative(repoRoot, f)),
    ],
    { cwd: repoRoot, stdio: 'inherit', env: { ...process.env, ...env } },
  );
  const onSigint = () => child.kill('SIGINT');
  process.on('SIGINT', onSigint);
  const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
  process.off('SIGINT', onSigint);
  const report = existsSync(tap) ? readFileSync(tap, 'utf8') : '';
  const count = (label: string) => Number(new RegExp(`^# ${label} (\\d+)$`, 'm').exec(report)?.[1] ?? 0);
  return { code, pass: count('pass'), fail: count('fail') + (code !== 0 && !report ? 1 : 0) };
}

const commands: Record<string, () => Promise<void>> = { start, test };
const run = commands[command];
if (!run) {
  console.error(`usage: cli.ts start | test [path-prefix...]`);
  process.exit(2);
}
run().catch((err) => {
  if (err instanceof MissingBinaryError) console.error(`[stack] ${err.message}`);
  else console.error('[stack] failed:', err);
  process.exit(1);
});
