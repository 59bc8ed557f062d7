import { fileURLToPath } from 'node:url';
import { openElectionsBucket } from '@onevote/election-config';
import {
  connectNats,
  createLogger,
  createMetrics,
  createPostgres,
  createRedis,
  loadConfigOrExit,
  migrate,
  runService,
} from '@onevote/platform';
import { buildApp } from './app.ts';
import { configSchema } from './config.ts';

const config = loadConfigOrExit('ballot', configSchema);
const logger = createLogger('ballot', config.LOG_LEVEL);
const sql = createPostgres(config.DATABASE_URL, { applicationName: 'ballot', max: config.DATABASE_POOL_MAX });
await migrate(sql, {
  schema: 'ballot',
  dir: fileURLToPath(new URL('../migrations', import.meta.url)),
  logger,
});
const redis = createRedis(config.REDIS_URL, logger);
const nc = await connectNats(config.NATS_URL, 'ballot', logger);
const kv = await openElectionsBucket(nc, config.ELECTIONS_BUCKET);

const metrics = createMetrics('ballot');
const { app } = buildApp({ config, logger, metrics, sql, redis, nc, kv });
await runService({
  unhandledRejections: metrics.unhandledRejections,
  app,
  host: config.HOST,
  port: config.PORT,
  logger,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  closers: [() => nc.drain(), async () => redis.quit(), () => sql.end({ timeout: 5 })],
});
logger.info({ port: config.PORT }, 'ballot listening');
