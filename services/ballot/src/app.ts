import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { createAuthenticator, RedisReplayStore, RedisRevocationList } from '@onevote/auth';
import { ElectionConfigPublisher } from '@onevote/election-config';
import { type App, createServer, type Logger, type Metrics, type RedisClient, rollUploadTimeoutMs, type Sql } from '@onevote/platform';
import { Counter, Gauge } from 'prom-client';
import { BallotExportRepository } from './adapters/ballot-export.repository.ts';
import { ElectionEventsStream } from './adapters/election-events.ts';
import { ElectionRepository } from './adapters/election.repository.ts';
import { DirectScrapeSource, type MetricsSource, parseScrapeTargets } from './adapters/metrics-source.ts';
import { RollRepository } from './adapters/roll.repository.ts';
import { RollSet } from './adapters/roll-set.ts';
import type { Config } from './config.ts';
import { Access } from './http/access.ts';
import { electionRoutes } from './http/elections.routes.ts';
import { exportRoutes } from './http/export.routes.ts';
import { operationsRoutes } from './http/operations.routes.ts';
import { rollRoutes } from './http/roll.routes.ts';
import { Elections } from './use-cases/elections.ts';
import { OperationsMonitor } from './use-cases/operations.ts';
import { Propagation } from './use-cases/propagation.ts';
import { Rolls } from './use-cases/rolls.ts';
import { Scheduler } from './use-cases/scheduler.ts';
import { VoidHistory } from './use-cases/void-history.ts';
import { VoidActionsRepository } from './adapters/void-actions.repository.ts';

export interface BallotDeps {
  config: Pick<
    Config,
    | 'TRUSTED_PROXIES'
    | 'ORIGIN_SECRET'
    | 'TRUSTED_ISSUERS'
    | 'TOKEN_AUDIENCE'
    | 'DPOP_IAT_WINDOW_SECONDS'
    | 'TOKEN_MAX_LIFETIME_SECONDS'
    | 'REVOCATION_KEY_PREFIX'
    | 'NODE_ENV'
    | 'SCHEDULER_TICK_MS'
    | 'KV_RECONCILE_MS'
    | 'ELECTION_EVENTS_STREAM'
    | 'NATS_REPLICAS'
    | 'EMAIL_HASH_KEY'
    | 'ROLL_MAX_BYTES'
    | 'ROLL_MAX_LINES'
    | 'ROLL_SYNC_MS'
    | 'OPERATIONS_METRICS_URLS'
    | 'OPERATIONS_SCRAPE_MS'
  >;
  logger: Logger;
  metrics: Metrics;
  sql: Sql;
  /**
   * This service's pool on every vote shard group (index = group), for what it reads of vote-api's
   * ballots; default `[sql]` (one group, this database). New elections get this many groups.
   */
  votes?: Sql[];
  redis: RedisClient;
  nc: NatsConnection;
  kv: KV;
  /** Where the operations view reads metrics; default: OPERATIONS_METRICS_URLS scraped directly. */
  metricsSource?: MetricsSource;
}

/**
 * The ballot service: routes plus the scheduler, which runs while the app is ready (started on
 * `ready`, stopped on `close`).
 */
export function buildApp(deps: BallotDeps): {
  app: App;
  elections: Elections;
  rolls: Rolls;
  scheduler: Scheduler;
  operations: OperationsMonitor;
} {
  const { config, logger, metrics, sql } = deps;
  const app = createServer({
    service: 'ballot',
    logger,
    metrics,
    trustedProxies: config.TRUSTED_PROXIES,
    originSecret: config.ORIGIN_SECRET,
    // A voter roll of a million addresses streams in for longer than the usual 30 s.
    requestTimeoutMs: rollUploadTimeoutMs,
  });
  const authenticator = createAuthenticator(config, {
    replay: new RedisReplayStore(deps.redis),
    revocations: new RedisRevocationList(deps.redis, config.REVOCATION_KEY_PREFIX),
    registry: metrics.registry,
  });
  const votes = deps.votes ?? [sql];
  const repository = new ElectionRepository(sql, { shards: votes.length });
  const events = new ElectionEventsStream(
    deps.nc,
    { stream: config.ELECTION_EVENTS_STREAM, replicas: config.NATS_REPLICAS },
    logger,
  );
  const propagation = new Propagation(repository, new ElectionConfigPublisher(deps.kv), logger, events);
  const elections = new Elections(repository, propagation);
  const rolls = new Rolls(new RollRepository(sql, votes), repository, new RollSet(deps.redis), logger, {
    emailHashKey: config.EMAIL_HASH_KEY,
    maxLines: config.ROLL_MAX_LINES,
  });
  const scheduler = new Scheduler(
    elections,
    propagation,
    logger,
    { tickMs: config.SCHEDULER_TICK_MS, reconcileMs: config.KV_RECONCILE_MS, rollSyncMs: config.ROLL_SYNC_MS },
    rolls,
    new VoidHistory(
      votes.map((shard, index) => new VoidActionsRepository(sql, shard, index)),
      logger,
    ),
  );
  const access = new Access(authenticator);

  electionRoutes(app, { elections, access });
  exportRoutes(app, { elections, ballots: new BallotExportRepository(votes), access });
  rollRoutes(app, { rolls, access, maxBytes: config.ROLL_MAX_BYTES });

  const intervalMs = config.OPERATIONS_SCRAPE_MS;
  const operations = new OperationsMonitor(
    deps.metricsSource ?? new DirectScrapeSource(parseScrapeTargets(config.OPERATIONS_METRICS_URLS), Math.min(intervalMs, 2000)),
    {
      intervalMs,
      historyFrames: Math.ceil(300_000 / intervalMs),
      windowFrames: Math.max(1, Math.round(10_000 / intervalMs)),
      idleMs: 30_000,
    },
    logger,
    {
      scrapes: new Counter({
        name: 'operations_scrapes_total',
        help: "Scrapes of the services' metrics by the operations view (one a period, however many admins watch)",
        registers: [metrics.registry],
      }),
      viewers: new Gauge({
        name: 'operations_viewers',
        help: 'Open operations streams (admins watching)',
        registers: [metrics.registry],
      }),
    },
  );
  operationsRoutes(app, { operations, elections, access, recheckMs: 5000, retryMs: 2000 });

  app.addHook('onReady', async () => scheduler.start());
  app.addHook('onClose', async () => scheduler.stop());
  return { app, elections, rolls, scheduler, operations };
}
