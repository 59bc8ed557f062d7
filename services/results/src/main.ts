import { createAuthenticator, RedisReplayStore } from '@onevote/auth';
import { ElectionConfigCache, openElectionsBucket } from '@onevote/election-config';
import {
  connectNats,
  createLogger,
  createMetrics,
  createPostgres,
  createRedis,
  loadConfigOrExit,
  runService,
} from '@onevote/platform';
import { buildApp } from './app.ts';
import { configSchema } from './config.ts';

const config = loadConfigOrExit('results', configSchema);
const logger = createLogger('results', config.LOG_LEVEL);
const metrics = createMetrics('results');
const sql = createPostgres(config.DATABASE_URL, {
  applicationName: 'results',
  max: config.DATABASE_POOL_SIZE,
});
const redis = createRedis(config.REDIS_URL, logger);
const nc = await connectNats(config.NATS_URL, 'results', logger);
const configs = await ElectionConfigCache.start(await openElectionsBucket(nc, config.ELECTIONS_BUCKET), {
  logger,
});
const authenticator = createAuthenticator(config, {
  replay: new RedisReplayStore(redis),
  registry: metrics.registry,
});

const app = await buildApp({ config, logger, metrics, sql, nc, configs, authenticator });
await runService({
  unhandledRejections: metrics.unhandledRejections,
  app,
  host: config.HOST,
  port: config.PORT,
  logger,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  closers: [() => configs.stop(), () => nc.drain(), () => sql.end({ timeout: 2 }), () => redis.quit()],
});
logger.info({ port: config.PORT }, 'results listening');
