/**
 * Helpers for test files. Under `npm test` the runner has started PostgreSQL, Redis and NATS and
 * passes their URLs in the environment; a file run on its own (`node --import tsx --test f.ts`)
 * starts private ones for itself. Each test file gets its own database and names, so files can run
 * in parallel without seeing each other's data.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import postgres from 'postgres';
import { type Infra, startInfra } from './infra.ts';
import { freePort } from './ports.ts';
import { PostgresServer } from './postgres.ts';
import { killChildrenOnSignal } from './process.ts';
import { RedisCluster } from './redis-cluster.ts';
import { withPostgresUrl } from '@onevote/platform/postgres-url';
import { provisionDatabase } from './provision.ts';
import { type Stack, type StackOptions, startStack } from './stack.ts';

killChildrenOnSignal();

let shared: Promise<Infra> | undefined;
let privateInfra: Infra | undefined;
let sharedCluster: Promise<{ url: string; ports: number[] }> | undefined;
let privateCluster: RedisCluster | undefined;
/** Infras of `testInfraWithRedisCluster` (only their Redis Cluster is this file's). */
const clusterInfras: Infra[] = [];

/** Vote shard groups 1.. of this test file (private servers), started on first use. */
const extraShards: Promise<PostgresServer>[] = [];

// Registered at import, so it belongs to the test file's root and runs after all of its tests
// (after the stacks a file's suites started on them are stopped).
after(async () => {
  await Promise.all([
    privateCluster?.stop(),
    ...clusterInfras.map((i) => i.stop()),
    ...extraShards.map(async (s) => (await s).stop()),
  ]);
  await privateInfra?.stop();
});

/**
 * Superuser URLs of `count` vote shard groups: group 0 is the test servers' PostgreSQL, groups 1..
 * are plain PostgreSQL servers of this test file (started on first use, stopped after its tests),
 * so only the files that test sharding pay for them.
 */
export async function testShardAdminUrls(count: number): Promise<string[]> {
  const infra = await testInfra();
  while (extraShards.length < count - 1) {
    extraShards.push(
      (async () => {
        const server = new PostgresServer(join(testDir('pg-shard'), 'data'), await freePort());
        await server.start();
        return server;
      })(),
    );
  }
  const others = await Promise.all(extraShards.slice(0, count - 1));
  return [infra.postgresAdminUrl, ...others.map((s) => s.adminUrl)];
}

/** The servers behind `testShardAdminUrls` (index = shard group - 1), e.g. to stop one. */
export async function testShardServers(): Promise<PostgresServer[]> {
  return Promise.all(extraShards);
}

export function testInfra(): Promise<Infra> {
  shared ??= (async () => {
    const env = process.env;
    if (
      env.ONEVOTE_TEST_PG_ADMIN_URL &&
      env.ONEVOTE_TEST_REDIS_URL &&
      env.ONEVOTE_TEST_NATS_URL &&
      env.ONEVOTE_TEST_SMTP_URL &&
      env.ONEVOTE_TEST_MAIL_DIR
    ) {
      return {
        postgresAdminUrl: env.ONEVOTE_TEST_PG_ADMIN_URL,
        redisUrl: env.ONEVOTE_TEST_REDIS_URL,
        natsUrl: env.ONEVOTE_TEST_NATS_URL,
        ...(env.ONEVOTE_TEST_NATS_SERVICE_URLS ? { natsServiceUrls: JSON.parse(env.ONEVOTE_TEST_NATS_SERVICE_URLS) } : {}),
        ...(env.ONEVOTE_TEST_NATS_MONITOR_URL ? { natsMonitorUrl: env.ONEVOTE_TEST_NATS_MONITOR_URL } : {}),
        // One catcher for the run: test files tell their messages apart by recipient (`?to=`).
        smtpUrl: env.ONEVOTE_TEST_SMTP_URL,
        mailDir: env.ONEVOTE_TEST_MAIL_DIR,
        servers: {},
        stop: async () => {},
      };
    }
    // Run alone (not under `npm test`): private servers for this process, stopped by the hook below.
    privateInfra = await startInfra({ dir: testDir('infra'), env: {} });
    return privateInfra;
  })();
  return shared;
}

/**
 * A Redis Cluster (3 primaries + 3 replicas) for adapter tests: the runner's when it gives one
 * (`ONEVOTE_TEST_REDIS_CLUSTER_URL`), else a private one for this file, stopped after its tests.
 * `ports`: every node's client port (for INFO errorstats and the like).
 */
export function testRedisCluster(): Promise<{ url: string; ports: number[] }> {
  sharedCluster ??= (async () => {
    const given = process.env.ONEVOTE_TEST_REDIS_CLUSTER_URL;
    if (given) return { url: given, ports: given.replace(/^.*:\/\/(.*@)?/, '').split(',').map((h) => Number(h.split(':').pop())) };
    privateCluster = await RedisCluster.create(testDir('redis-cluster'));
    await privateCluster.start();
    return { url: privateCluster.url, ports: privateCluster.ports };
  })();
  return sharedCluster;
}

/**
 * The shared servers, with a private Redis Cluster in place of the one Redis (`cluster.redis`):
 * for whole stacks on the cluster (`startTestStack({ infra })`). The cluster's handle for fault
 * tests is `servers.redisCluster`; it is stopped after the file's tests.
 */
export async function testInfraWithRedisCluster(): Promise<Infra> {
  const base = await testInfra();
  const cluster = await startInfra({
    dir: testDir('infra-cluster'),
    // Only Redis is started: the URLs given for the others are used as they are.
    env: { DATABASE_URL: base.postgresAdminUrl, NATS_URL: base.natsUrl, SMTP_URL: base.smtpUrl },
    cluster: { redis: true },
  });
  clusterInfras.push(cluster);
  return {
    ...base,
    redisUrl: cluster.redisUrl,
    servers: { ...base.servers, redisCluster: cluster.servers.redisCluster! },
    stop: () => cluster.stop(),
  };
}

/** A short random name, for databases, buckets and key prefixes. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

export function testDir(name: string): string {
  const base = process.env.ONEVOTE_TEST_DIR ?? tmpdir();
  return mkdtempSync(join(base, `${name}-`));
}

/** A new database with every service's role and schema; returns each service's URL and the admin URL. */
export async function freshDatabase(): Promise<{
  name: string;
  adminUrl: string;
  urls: Record<string, string>;
}> {
  const infra = await testInfra();
  const name = uniqueName('t');
  const urls = await provisionDatabase(infra.postgresAdminUrl, name);
  const adminUrl = new URL(infra.postgresAdminUrl);
  adminUrl.pathname = `/${name}`;
  return { name, adminUrl: adminUrl.toString(), urls };
}

/**
 * The same new database on each of `count` vote shard groups (`testShardAdminUrls`), provisioned
 * alike; index = shard group. `shardUrls[service]` is that service's `VOTE_SHARD_URLS`.
 */
export async function freshShardedDatabase(count: number): Promise<{
  name: string;
  adminUrls: string[];
  urls: Record<string, string>[];
  shardUrls: Record<string, string>;
}> {
  const name = uniqueName('t');
  const servers = await testShardAdminUrls(count);
  const urls = await Promise.all(servers.map((server) => provisionDatabase(server, name)));
  const adminUrls = servers.map((server) => withPostgresUrl(server, { database: name }));
  const shardUrls = Object.fromEntries(Object.keys(urls[0]!).map((service) => [service, urls.map((u) => u[service]).join(' ')]));
  return { name, adminUrls, urls, shardUrls };
}

/**
 * The whole stack (every service as its own process) on the shared servers, with a fresh database,
 * random ports and per-run NATS bucket names; stopped after the file's tests.
 */
export async function startTestStack(options: Partial<StackOptions> = {}): Promise<Stack> {
  // A cluster test brings its own servers (`startInfra({ cluster })`); the others share the run's.
  const shared = options.infra ?? (await testInfra());
  // A sharded stack: the shared servers' PostgreSQL is shard group 0, this file's servers the rest.
  const infra: Infra =
    options.postgresShards && options.postgresShards > 1 && !options.infra
      ? { ...shared, postgresShardAdminUrls: await testShardAdminUrls(options.postgresShards) }
      : shared;
  const stack = await startStack({
    dir: testDir('stack'),
    portMode: 'random',
    logTo: 'files',
    infra,
    database: uniqueName('t'),
    logLevel: 'warn',
    ...options,
    // Names of its own on the shared servers: the bucket, the streams, the relay's slot.
    extraEnv: {
      ELECTIONS_BUCKET: uniqueName('elections'),
      BALLOTS_STREAM: uniqueName('BALLOTS'),
      ELECTION_EVENTS_STREAM: uniqueName('EVENTS'),
      RELAY_SLOT: uniqueName('relay'),
      ...options.extraEnv,
    },
  });
  after(async () => {
    await stack.stop();
    // A replication slot left behind would hold the shared server's WAL for the rest of the run.
    const slot = String(stack.context.extraEnv?.RELAY_SLOT);
    await Promise.all((stack.infra.postgresShardAdminUrls ?? [stack.infra.postgresAdminUrl]).map((url) => dropSlot(url, slot)));
  });
  return stack;
}

async function dropSlot(adminUrl: string, slot: string) {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {}, connect_timeout: 2 });
  try {
    await sql`select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = ${slot} and not active`;
  } catch (err) {
    // A file run alone stops its private server first: with the server, the slot is gone too.
    if ((err as { code?: string }).code !== 'ECONNREFUSED') throw err;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

export { waitFor } from './wait.ts';
