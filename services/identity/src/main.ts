import { fileURLToPath } from 'node:url';
import {
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

const config = loadConfigOrExit('identity', configSchema);
const logger = createLogger('identity', config.LOG_LEVEL);
const sql = createPostgres(config.DATABASE_URL, { applicationName: 'identity' });
const redis = createRedis(config.REDIS_URL, logger);
await migrate(sql, {
  schema: 'identity',
  dir: fileURLToPath(new URL('../migrations', import.meta.url)),
  logger,
});
const metrics = createMetrics('identity');
const app = await buildApp({ config, logger, metrics, sql, redis });
await runService({
  unhandledRejections: metrics.unhandledRejections,
  app,
  host: config.HOST,
  port: config.PORT,
  logger,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  closers: [() => sql.end({ timeout: 2 }), async () => redis.quit()],
});
logger.info({ port: config.PORT }, 'identity listening');
