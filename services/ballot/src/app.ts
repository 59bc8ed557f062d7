import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { createAuthenticator, RedisReplayStore } from '@onevote/auth';
import { ElectionConfigPublisher } from '@onevote/election-config';
import { type App, createServer, type Logger, type Metrics, readiness, type Sql } from '@onevote/platform';
import type { Redis } from 'ioredis';
import { BallotExportRepository } from './adapters/ballot-export.repository.ts';
import { ElectionRepository } from './adapters/election.repository.ts';
import type { Config } from './config.ts';
import { Access } from './http/access.ts';
import { electionRoutes } from './http/elections.routes.ts';
import { exportRoutes } from './http/export.routes.ts';
import { Elections } from './use-cases/elections.ts';
import { Propagation } from './use-cases/propagation.ts';
import { Scheduler } from './use-cases/scheduler.ts';

export interface BallotDeps {
  config: Pick<
    Config,
    | 'TRUSTED_PROXIES'
    | 'TRUSTED_ISSUERS'
    | 'TOKEN_AUDIENCE'
    | 'DPOP_IAT_WINDOW_SECONDS'
    | 'SCHEDULER_TICK_MS'
    | 'KV_RECONCILE_MS'
  >;
  logger: Logger;
  metrics: Metrics;
  sql: Sql;
  redis: Redis;
  nc: NatsConnection;
  kv: KV;
}

/**
 * The ballot service: routes plus the scheduler, which runs while the app is ready (started on
 * `ready`, stopped on `close`).
 */
export function buildApp(deps: BallotDeps): { app: App; elections: Elections; scheduler: Scheduler } {
  const { config, logger, metrics, sql } = deps;
  const app = createServer({
    service: 'ballot',
    logger,
    metrics,
    trustedProxies: config.TRUSTED_PROXIES,
    readiness: [readiness.postgres(sql), readiness.redis(deps.redis), readiness.nats(deps.nc)],
  });
  const authenticator = createAuthenticator(config, {
    replay: new RedisReplayStore(deps.redis),
    registry: metrics.registry,
  });
  const repository = new ElectionRepository(sql);
  const propagation = new Propagation(repository, new ElectionConfigPublisher(deps.kv), logger);
  const elections = new Elections(repository, propagation);
  const scheduler = new Scheduler(elections, propagation, logger, {
    tickMs: config.SCHEDULER_TICK_MS,
    reconcileMs: config.KV_RECONCILE_MS,
  });
  const access = new Access(authenticator);

  electionRoutes(app, { elections, access });
  exportRoutes(app, { elections, ballots: new BallotExportRepository(sql), access });

  app.addHook('onReady', async () => scheduler.start());
  app.addHook('onClose', async () => scheduler.stop());
  return { app, elections, scheduler };
}
