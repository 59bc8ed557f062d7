import { fileURLToPath } from 'node:url';
import { ElectionConfigCache, openElectionsBucket } from '@onevote/election-config';
import {
  connectNats,
  createLogger,
  createMetrics,
  createRedis,
  loadConfigOrExit,
  migrate,
  runService,
} from '@onevote/platform';
import { createVotesDatabase } from './adapters/postgres.ts';
import { buildApp } from './app.ts';
import { configSchema } from './config.ts';

const config = loadConfigOrExit('vote-api', configSchema);
const logger = createLogger('vote-api', config.LOG_LEVEL);
const sql = createVotesDatabase({
  url: config.DATABASE_URL,
  // One connection per concurrent commit, plus some for reads (votes/me, conflict look-ups).
  max: config.COMMIT_CONCURRENCY + 4,
  connectTimeoutMs: config.PG_CONNECT_TIMEOUT_MS,
  statementTimeoutMs: config.PG_STATEMENT_TIMEOUT_MS,
});
await migrate(sql, {
  schema: 'votes',
  dir: fileURLToPath(new URL('../migrations', import.meta.url)),
  logger,
});
const redis = createRedis(config.REDIS_URL, logger);
const nc = await connectNats(config.NATS_URL, 'vote-api', logger);
const elections = await ElectionConfigCache.start(await openElectionsBucket(nc, config.ELECTIONS_BUCKET), {
  logger,
});
const metrics = createMetrics('vote-api');
const app = buildApp({ config, logger, metrics, sql, redis, nc, elections });
await runService({
  unhandledRejections: metrics.unhandledRejections,
  app,
  host: config.HOST,
  port: config.PORT,
  logger,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  closers: [() => elections.stop(), () => nc.drain(), () => redis.quit(), () => sql.end({ timeout: 5 })],
});
logger.info({ port: config.PORT }, 'vote-api listening');
