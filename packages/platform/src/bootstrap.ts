import { fileURLToPath } from 'node:url';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Static, TObject } from '@sinclair/typebox';
import { connectNats, createPostgres, createRedis, type PostgresOptions, readiness, type RedisClient, type Sql } from './clients.ts';
import { type baseConfigProperties, ConfigError, parseConfig } from './config.ts';
import { createLogger, type Logger } from './logger.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { migrate } from './migrate.ts';
import { createOpsServer, type OpsServer } from './ops.ts';
import type { ReadinessCheck } from './readiness.ts';
import type { App } from './server.ts';
import { setupTracing } from './tracing.ts';

type BaseConfig = Static<TObject<typeof baseConfigProperties>>;

/**
 * What a service's `build` step gets: its parsed config, logger and metrics, and factories for the
 * clients it needs. Every client made here is checked by `/readyz` and closed at shutdown (newest
 * first), so no service wires that by hand.
 */
export interface ServiceContext<C> {
  readonly name: string;
  readonly config: C;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /**
   * A pool, with the service's migrations applied first when `migrations` is given. `ready: false`
   * leaves it out of `/readyz` (a vote shard group: the service checks its groups itself).
   */
  postgres(
    options: Omit<PostgresOptions, 'applicationName'> & {
      url: string;
      applicationName?: string;
      migrations?: { schema: string; dir: URL };
      ready?: boolean;
    },
  ): Promise<Sql>;
  /**
   * One pool per vote shard group (`urls`, index = group), each made as `postgres` makes one (named
   * `<service> shard <n>` when there are several). One group: in `/readyz` as usual; several: ready
   * while any group answers, so a group that is down costs only its own voters.
   */
  postgresShards(
    urls: readonly string[],
    options: Omit<PostgresOptions, 'applicationName'> & { migrations?: { schema: string; dir: URL } },
  ): Promise<Sql[]>;
  /** `ready: false` for a Redis the service can answer without (it is then not in `/readyz`). */
  redis(url: string, options?: { ready?: boolean }): RedisClient;
  nats(url: string): Promise<NatsConnection>;
  /** Work to do at shutdown once the server has drained (newest first, after the clients made later). */
  onClose(close: () => unknown): void;
  /** A dependency `/readyz` checks besides the clients. */
  ready(check: ReadinessCheck): void;
}

/** A service as every `main.ts` and every test harness starts it. */
export interface ServiceDefinition<S extends TObject, R extends { app?: App }> {
  name: string;
  configSchema: S;
  /**
   * Makes the clients (through the context) and the app; must not listen. A worker with no public
   * API (the relay) returns no app and gets only the operations listener.
   */
  build(context: ServiceContext<Static<S>>): Promise<R>;
}

export interface BootedService<C, R extends { app?: App }> {
  name: string;
  config: C;
  logger: Logger;
  metrics: Metrics;
  /** The public app; undefined for a worker. */
  app: R['app'];
  ops: OpsServer;
  /** What `build` returned besides the app (use cases a CLI or a test drives directly). */
  built: R;
  /** `http://host:port` of the public listener ('' for a worker) and of the operations listener. */
  url: string;
  opsUrl: string;
  /** Stops accepting, drains in-flight requests, then closes every client (newest first). */
  close(): Promise<void>;
}

export interface BootOptions {
  /** The environment the config is parsed from (`process.env` in `main.ts`). */
  env: Record<string, string | undefined>;
  /** Test harnesses may keep their own logger (silent by default there). */
  logger?: Logger;
}

/**
 * config -> logger and metrics -> clients and migrations -> app -> listen (public and operations
 * listeners). Throws `ConfigError` naming every bad variable; anything made before a failure is
 * closed again.
 */
export async function bootService<S extends TObject, R extends { app?: App }>(
  definition: ServiceDefinition<S, R>,
  options: BootOptions,
): Promise<BootedService<Static<S>, R>> {
  const config = parseConfig(definition.name, definition.configSchema, options.env) as Static<S> & BaseConfig;
  const logger = options.logger ?? createLogger(definition.name, config.LOG_LEVEL);
  const metrics = createMetrics(definition.name);
  const closers: (() => unknown)[] = [];
  // First, so the server's hooks see it; closed last, after the spans of the drain.
  const stopTracing = setupTracing(definition.name, config);
  if (stopTracing) closers.push(stopTracing);
  const checks: ReadinessCheck[] = [];
  const closeAll = async () => {
    for (const close of closers.splice(0).reverse()) {
      try {
        await close();
      } catch (err) {
        logger.warn({ err: (err as Error).message }, 'a client did not close cleanly');
      }
    }
  };

  const context: ServiceContext<Static<S>> = {
    name: definition.name,
    config,
    logger,
    metrics,
    async postgres({ url, applicationName, migrations, ready = true, ...rest }) {
      const sql = createPostgres(url, { applicationName: applicationName ?? definition.name, ...rest });
      closers.push(() => sql.end({ timeout: 5 }));
      if (ready) checks.push(readiness.postgres(sql));
      if (migrations) await migrate(sql, { schema: migrations.schema, dir: fileURLToPath(migrations.dir), logger });
      return sql;
    },
    async postgresShards(urls, options) {
      const shards: Sql[] = [];
      for (const [index, url] of urls.entries()) {
        shards.push(
          await context.postgres({
            ...options,
            url,
            ...(urls.length > 1 ? { applicationName: `${definition.name} shard ${index}`, ready: false } : {}),
          }),
        );
      }
      if (shards.length > 1) checks.push(readiness.postgresShards(shards));
      return shards;
    },
    redis(url, { ready = true } = {}) {
      const redis = createRedis(url, logger);
      closers.push(() => redis.quit());
      if (ready) checks.push(readiness.redis(redis));
      return redis;
    },
    async nats(url) {
      const nc = await connectNats(url, definition.name, logger);
      closers.push(() => nc.drain());
      checks.push(readiness.nats(nc));
      return nc;
    },
    onClose(close) {
      closers.push(close);
    },
    ready(check) {
      checks.push(check);
    },
  };

  let built: R;
  try {
    built = await definition.build(context);
  } catch (err) {
    await closeAll();
    throw err;
  }
  const { app } = built;
  const ops = createOpsServer({ service: definition.name, logger, metrics, readiness: checks });
  try {
    if (app) await app.listen({ host: config.HOST, port: (config as unknown as { PORT: number }).PORT });
    await ops.listen({ host: config.OPS_HOST, port: config.OPS_PORT });
  } catch (err) {
    await app?.close();
    await closeAll();
    throw err;
  }
  let closing: Promise<void> | undefined;
  return {
    name: definition.name,
    config,
    logger,
    metrics,
    app,
    ops,
    built,
    url: app ? listenerUrl(app) : '',
    opsUrl: listenerUrl(ops),
    close() {
      closing ??= (async () => {
        // Connections that finish their last request during the drain would otherwise stay open on
        // keep-alive and hold close() until the timeout.
        if (app) {
          const sweep = setInterval(() => app.server.closeIdleConnections(), 50);
          try {
            await app.close();
          } finally {
            clearInterval(sweep);
          }
        }
        await closeAll();
        await ops.close();
      })();
      return closing;
    },
  };
}

function listenerUrl(server: { server: import('node:net').Server }): string {
  const address = server.server.address();
  if (!address || typeof address === 'string') return '';
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

/**
 * The whole of a `main.ts`: boots the service from `process.env`, then on SIGINT/SIGTERM drains and
 * exits. A bad config exits with status 78 (EX_CONFIG) and one message naming every bad variable; a
 * shutdown longer than `SHUTDOWN_TIMEOUT_MS` exits with status 1.
 */
export async function runService<S extends TObject, R extends { app?: App }>(
  definition: ServiceDefinition<S, R>,
): Promise<BootedService<Static<S>, R>> {
  let service: BootedService<Static<S>, R>;
  try {
    service = await bootService(definition, { env: process.env });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }
  const { logger, metrics } = service;
  const timeoutMs = (service.config as BaseConfig).SHUTDOWN_TIMEOUT_MS;
  let closing = false;

  const shutdown = async (reason: string) => {
    if (closing) return;
    closing = true;
    logger.info({ reason }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs }, 'shutdown timed out; exiting');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    let code = 0;
    try {
      await service.close();
    } catch (err) {
      logger.error({ err }, 'error while shutting down');
      code = 1;
    }
    logger.info('stopped');
    logger.flush?.();
    process.exit(code);
  };

  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));

  // A rejection nobody handled is a bug to fix, but not a reason to stop serving: seen in the fault
  // suite when PostgreSQL restarts, the database client rejected a promise of its own with
  // ECONNRESET. It is logged and counted; /readyz still tells whether the dependencies answer.
  process.on('unhandledRejection', (reason) => {
    metrics.unhandledRejections.inc();
    logger.error({ err: reason }, 'unhandled promise rejection');
  });

  // Under the local supervisor: if it dies without stopping us, stop rather than linger as an orphan.
  const parent = Number(process.env.ONEVOTE_SUPERVISOR_PID);
  if (parent > 0) {
    setInterval(() => {
      try {
        process.kill(parent, 0);
      } catch {
        void shutdown('supervisor gone');
      }
    }, 1000).unref();
  }
  logger.info({ url: service.url, ops: service.opsUrl }, `${definition.name} listening`);
  return service;
}
