export { connectNats, createPostgres, createRedis, readiness, type Sql } from './clients.ts';
export {
  baseConfigProperties,
  ConfigError,
  loadConfigOrExit,
  parseConfig,
  port,
  serviceConfig,
} from './config.ts';
export { AppError, type AppErrorOptions, isAppError } from './errors.ts';
export { runService } from './lifecycle.ts';
export { createLogger, type Logger, loggerOptions, redactedPaths } from './logger.ts';
export { createMetrics, type Metrics } from './metrics.ts';
export { migrate } from './migrate.ts';
export { body as problemBody, toProblem } from './problem.ts';
export { type ReadinessCheck, runChecks } from './readiness.ts';
export { type App, bodyLimitBytes, createServer, type ServerOptions } from './server.ts';
