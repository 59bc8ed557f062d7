import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Cluster, Redis } from 'ioredis';
import postgres from 'postgres';
import type { Logger } from './logger.ts';
import type { ReadinessCheck } from './readiness.ts';

export type Sql = postgres.Sql<Record<string, never>>;

export interface PostgresOptions {
  max?: number;
  applicationName: string;
  /** Default 2 s: fail fast when the server is away, so callers answer 503 rather than hang. */
  connectTimeoutMs?: number;
  /** Session settings sent with every connection (`statement_timeout`, `synchronous_commit`, ...). */
  session?: Record<string, string | number>;
}

export function createPostgres(url: string, options: PostgresOptions): Sql {
  return postgres(url, {
    max: options.max ?? 10,
    connect_timeout: (options.connectTimeoutMs ?? 2000) / 1000,
    idle_timeout: 60,
    max_lifetime: 60 * 30,
    // postgres.js waits (3^failures / 100) s, up to 20 s, before reconnecting, failures counted over
    // the pool: a service that kept asking while PostgreSQL was down for 10 s then waited 10-20 s
    // more after it was back (the relay, fault scenario 3). At most a second, then.
    backoff: (failures: number) => Math.min(0.05 * 2 ** failures, 1),
    onnotice: () => {},
    connection: { application_name: options.applicationName, ...options.session },
  }) as Sql;
}

/**
 * A service's Redis: one server (`redis://`, `rediss://`) or a Redis Cluster (`redis-cluster://`,
 * `rediss-cluster://`, e.g. ElastiCache in cluster mode). Code that takes one must keep every
 * multi-key command, MULTI and script inside one hash slot (a `{tag}` in the keys).
 */
export type RedisClient = Redis | Cluster;

/** `REDIS_URL` to a client: a cluster-aware one when the URL names a cluster. */
export function createRedis(url: string, logger: Logger): RedisClient {
  const cluster = redisClusterSeeds(url);
  const redis: RedisClient = cluster ? createRedisCluster(cluster) : createRedisServer(url);
  let lastError = '';
  redis.on('error', (err: Error) => {
    // A down Redis reports the same error on every retry; one line per change is enough.
    if (err.message !== lastError) logger.warn({ err: err.message }, 'redis error');
    lastError = err.message;
  });
  redis.on('ready', () => {
    lastError = '';
  });
  return redis;
}

function createRedisServer(url: string): Redis {
  return new Redis(url, {
    // Commands issued in the same tick go out as one pipeline: the cheapest batching there is.
    enableAutoPipelining: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(times * 100, 1000),
  });
}

export interface RedisClusterSeeds {
  nodes: { host: string; port: number }[];
  username?: string;
  password?: string;
  tls: boolean;
}

/**
 * The seed nodes of `redis-cluster://[user:password@]host1:port1,host2:port2,...` (TLS with
 * `rediss-cluster://`); undefined for any other URL. Any node will do as a seed: the client learns
 * the whole cluster from the first that answers.
 */
export function redisClusterSeeds(url: string): RedisClusterSeeds | undefined {
  const match = /^(rediss?)-cluster:\/\/([^/?#]*)/.exec(url.trim());
  if (!match) return undefined;
  const [, scheme, authority] = match as unknown as [string, string, string];
  const at = authority.lastIndexOf('@');
  const userinfo = at >= 0 ? authority.slice(0, at) : '';
  const hosts = (at >= 0 ? authority.slice(at + 1) : authority).split(',').filter((h) => h.trim());
  if (hosts.length === 0) throw new Error('a redis-cluster:// URL names no node');
  const nodes = hosts.map((host) => {
    // One node at a time through URL: it knows IPv6 brackets and default ports.
    const parsed = new URL(`redis://${host.trim()}`);
    return { host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(parsed.port || 6379) };
  });
  const credentials = userinfo ? new URL(`redis://${userinfo}@localhost`) : undefined;
  return {
    nodes,
    ...(credentials?.username ? { username: decodeURIComponent(credentials.username) } : {}),
    ...(credentials?.password ? { password: decodeURIComponent(credentials.password) } : {}),
    tls: scheme === 'rediss',
  };
}

function createRedisCluster(seeds: RedisClusterSeeds): Cluster {
  return new Cluster(seeds.nodes, {
    // As for one server: commands of the same tick go out together (one write per node).
    enableAutoPipelining: true,
    // Reads from primaries only: a replica may lag behind (a spent solution not there yet).
    scaleReads: 'master',
    // A killed primary: its commands are retried every 100 ms for at most ~1.6 s while the slot map
    // is refreshed, then fail. Callers bound their own waits (deadlines) and answer 503 sooner;
    // this only keeps commands from piling up in the client for the whole failover.
    retryDelayOnFailover: 100,
    retryDelayOnClusterDown: 100,
    maxRedirections: 16,
    // The map is also refreshed every second, so a failover is seen even by a quiet client.
    slotsRefreshInterval: 1000,
    slotsRefreshTimeout: 1000,
    clusterRetryStrategy: (times) => Math.min(times * 100, 1000),
    // TLS certificates name the host, not its IP address (ElastiCache): keep the name as given.
    ...(seeds.tls ? { dnsLookup: (address: string, callback: (err: null, address: string) => void) => callback(null, address) } : {}),
    redisOptions: {
      connectTimeout: 2000,
      maxRetriesPerRequest: 1,
      ...(seeds.username ? { username: seeds.username } : {}),
      ...(seeds.password ? { password: seeds.password } : {}),
      ...(seeds.tls ? { tls: {} } : {}),
    },
  });
}

/**
 * `url` is one or more comma-separated `nats://[user:password@]host:port`; the credentials of the
 * first one that has them are the connection's (every node of a cluster knows the same users).
 */
export async function connectNats(url: string, name: string, logger: Logger): Promise<NatsConnection> {
  const { servers, user, pass } = natsServers(url);
  const nc = await connect({
    servers,
    ...(user ? { user, pass } : {}),
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    waitOnFirstConnect: true,
  });
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect' || s.type === 'reconnect' || s.type === 'error') {
        logger.warn({ nats: s.type }, 'nats connection status');
      }
    }
  })();
  return nc;
}

export const readiness = {
  postgres: (sql: Sql): ReadinessCheck => ({ name: 'postgres', check: () => sql`select 1` }),
  /**
   * Vote shard groups: ready while at least one group answers, so a group that is down costs its
   * own voters (fast 503s) and not the others, whom a load balancer would stop sending otherwise.
   * One group: the same as `postgres`.
   */
  postgresShards: (shards: Sql[]): ReadinessCheck => ({
    name: 'postgres',
    check: async () => {
      const answers = await Promise.allSettled(shards.map((sql) => sql`select 1`));
      const down = answers.flatMap((a, i) => (a.status === 'rejected' ? [i] : []));
      if (down.length === shards.length) {
        throw new Error(shards.length === 1 ? String((answers[0] as PromiseRejectedResult).reason?.message) : 'no shard group answers');
      }
    },
  }),
  redis: (redis: RedisClient): ReadinessCheck => ({ name: 'redis', check: () => redis.ping() }),
  nats: (nc: NatsConnection): ReadinessCheck => ({
    name: 'nats',
    check: async () => {
      if (nc.isClosed()) throw new Error('closed');
      await nc.flush();
    },
  }),
};

export function natsServers(url: string): { servers: string[]; user?: string; pass?: string } {
  let user: string | undefined;
  let pass: string | undefined;
  const servers = url.split(',').map((entry) => {
    const u = new URL(entry.trim());
    if (u.username && !user) {
      user = decodeURIComponent(u.username);
      pass = decodeURIComponent(u.password);
    }
    return `${u.protocol}//${u.host}`;
  });
  return { servers, ...(user ? { user, pass: pass ?? '' } : {}) };
}
