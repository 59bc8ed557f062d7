import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import type { Logger } from './logger.ts';
import type { ReadinessCheck } from './readiness.ts';

export type Sql = postgres.Sql<Record<string, never>>;

export interface PostgresOptions {
  max?: number;
  applicationName: string;
}

export function createPostgres(url: string, options: PostgresOptions): Sql {
  return postgres(url, {
    max: options.max ?? 10,
    // Fail fast when the server is away: callers answer 503 rather than hang (no request hangs).
    connect_timeout: 2,
    idle_timeout: 60,
    max_lifetime: 60 * 30,
    onnotice: () => {},
    connection: { application_name: options.applicationName },
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

export async function connectNats(url: string, name: string, logger: Logger): Promise<NatsConnection> {
  const nc = await connect({
    servers: url.split(','),
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
  redis: (redis: Redis): ReadinessCheck => ({ name: 'redis', check: () => redis.ping() }),
  nats: (nc: NatsConnection): ReadinessCheck => ({
    name: 'nats',
    check: async () => {
      if (nc.isClosed()) throw new Error('closed');
      await nc.flush();
    },
  }),
};
