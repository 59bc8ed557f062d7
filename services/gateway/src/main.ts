import { createLogger, createMetrics, loadConfigOrExit, runService } from '@onevote/platform';
import { buildApp } from './app.ts';
import { configSchema } from './config.ts';

const config = loadConfigOrExit('gateway', configSchema);
const logger = createLogger('gateway', config.LOG_LEVEL);
const metrics = createMetrics('gateway');
const app = await buildApp({ config, logger, metrics });
await runService({
  unhandledRejections: metrics.unhandledRejections,
  app,
  host: config.HOST,
  port: config.PORT,
  logger,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
});
logger.info({ port: config.PORT }, 'gateway listening');
