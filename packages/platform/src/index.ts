export {
  type BootedService,
  type BootOptions,
  bootService,
  runService,
  type ServiceContext,
  type ServiceDefinition,
} from './bootstrap.ts';
export { clientAddress, originVerifyHeader, viewerAddressHeader } from './client-address.ts';
export { connectNats, createPostgres, createRedis, natsServers, type PostgresOptions, readiness, type Sql } from './clients.ts';
export { type RedisClient, type RedisClusterSeeds, redisClusterSeeds } from './clients.ts';
export { type PostgresHost, postgresHosts, withPostgresUrl } from './postgres-url.ts';
export {
  baseConfigProperties,
  ConfigError,
  loadConfigOrExit,
  parseConfig,
  port,
  serviceConfig,
} from './config.ts';
export { isTransientJetStreamError, natsConfigProperties, retryTransient, scaleUpStream } from './jetstream.ts';
export { AppError, type AppErrorOptions, isAppError } from './errors.ts';
export { createLogger, type Logger, loggerOptions, redactedPaths } from './logger.ts';
export { createMetrics, type Metrics } from './metrics.ts';
export { migrate } from './migrate.ts';
export { createOpsServer, type OpsServer } from './ops.ts';
export { body as problemBody, toProblem } from './problem.ts';
export { type ReadinessCheck, runChecks } from './readiness.ts';
export { type App, bodyLimitBytes, createServer, rollUploadTimeoutMs, type ServerOptions } from './server.ts';
export { withDeadline } from './deadline.ts';
export { KeyVault } from './key-vault.ts';
export { createMailSender, type Mail, type MailSender } from './mail.ts';
export { mailArrival, mailIdPattern, newMailId } from './mail-files.ts';
export {
  consumeTraced,
  extractTraceContext,
  publishTraced,
  injectTraceHeaders,
  logCorrelation,
  markFailure,
  ROOT_CONTEXT,
  sampledSpanContext,
  setupTracing,
  type Span,
  type SpanContext,
  SpanKind,
  trace,
  traceContext,
  tracer,
  tracingConfigProperties,
  type TracingConfig,
  tracingEnabled,
  traceparentOf,
  withBatchSpan,
  withSpan,
  withSpanSync,
} from './tracing.ts';
export { requestTraceContext } from './trace-requests.ts';
export {
  bucketIncrease,
  bucketsOf,
  type LabelMatch,
  parsePrometheusText,
  quantileOf,
  type Sample,
  sumOf,
} from './prometheus-text.ts';
