import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
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

export function createRedis(url: string, logger: Logger): Redis {
  const redis = new Redis(url, {
    // Commands issued in the same tick go out as one pipeline: the cheapest batching there is.
    enableAutoPipelining: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(times * 100, 1000),
  });
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
  redis: (redis: Redis): ReadinessCheck => ({ name: 'redis', check: () => redis.ping() }),
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
