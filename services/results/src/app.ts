import fastifyWebsocket from '@fastify/websocket';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Authenticator } from '@onevote/auth';
import { shardCountOf } from '@onevote/election-config';
import { type App, createServer, type Logger, type Metrics, type Sql } from '@onevote/platform';
import { PostgresTallyRepository, ShardedTallyRepository } from './adapters/tally.repository.ts';
import { subscribeTallyChanged } from './adapters/tally-notifications.ts';
import type { Config } from './config.ts';
import { resultsRoutes } from './http/results.routes.ts';
import { StreamRegistry } from './http/streams.ts';
import { type ElectionConfigs, LiveResults } from './live-results/live-results.ts';
import { createResultsMetrics } from './metrics.ts';

export type ResultsSettings = Pick<
  Config,
  | 'TRUSTED_PROXIES'
  | 'ORIGIN_SECRET'
  | 'REREAD_INTERVAL_MS'
  | 'FRAME_INTERVAL_MS'
  | 'KEEPALIVE_INTERVAL_MS'
  | 'SSE_RETRY_MS'
  | 'FINAL_SETTLE_MS'
  | 'MAX_CLIENT_BUFFER_BYTES'
  | 'MAX_STREAMS'
  | 'MAX_STREAMS_PER_CLIENT'
  | 'STREAM_MAX_LIFETIME_SECONDS'
  | 'ADMIN_STREAM_RECHECK_MS'
>;

export interface ResultsDeps {
  config: ResultsSettings;
  logger: Logger;
  metrics: Metrics;
  /** The tallies' pool on every vote shard group, index = group (one group: `[DATABASE_URL's]`). */
  shards: Sql[];
  nc: NatsConnection;
  configs: ElectionConfigs;
  authenticator: Authenticator;
}

/** The results service: live tallies in memory, served as a snapshot, over SSE and WebSocket. */
export async function buildApp(deps: ResultsDeps): Promise<App> {
  const { config, logger, nc } = deps;
  const metrics = createResultsMetrics(deps.metrics);
  const app = createServer({
    service: 'results',
    logger,
    metrics: deps.metrics,
    trustedProxies: config.TRUSTED_PROXIES,
    originSecret: config.ORIGIN_SECRET,
  });

  const live = new LiveResults({
    tallies: new ShardedTallyRepository(
      deps.shards.map((sql) => new PostgresTallyRepository(sql)),
      (id) => shardCountOf(deps.configs.get(id) ?? {}),
      (shard, err) =>
        logger.warn({ shard, err: (err as Error).message }, 'tallies of a vote shard group unreadable; its last read stands in'),
    ),
    configs: deps.configs,
    logger,
    metrics,
    rereadIntervalMs: config.REREAD_INTERVAL_MS,
    frameIntervalMs: config.FRAME_INTERVAL_MS,
    finalSettleMs: config.FINAL_SETTLE_MS,
  });
  const streams = new StreamRegistry(config.KEEPALIVE_INTERVAL_MS, metrics, {
    maxStreams: config.MAX_STREAMS,
    maxPerClient: config.MAX_STREAMS_PER_CLIENT,
  });

  await app.register(fastifyWebsocket, {
    options: { maxPayload: 4096, perMessageDeflate: false },
    // Streams are ended by our own preClose below (with a cut-off for peers that do not answer).
    preClose: (done) => done(),
  });
  resultsRoutes(app, {
    live,
    authenticator: deps.authenticator,
    streams,
    metrics,
    limits: { maxBufferedBytes: config.MAX_CLIENT_BUFFER_BYTES },
    sseRetryMs: config.SSE_RETRY_MS,
    maxStreamLifetimeSeconds: config.STREAM_MAX_LIFETIME_SECONDS,
    adminRecheckMs: config.ADMIN_STREAM_RECHECK_MS,
  });

  live.start();
  const subscription = subscribeTallyChanged(nc, logger, (id, committedAt) => {
    metrics.notifications.inc();
    live.notify(id, committedAt);
  });

  // Long-lived streams would hold close() open until the shutdown timeout: end them first.
  app.addHook('preClose', async () => {
    subscription.unsubscribe();
    live.stop();
    streams.closeAll();
  });
  return app;
}
