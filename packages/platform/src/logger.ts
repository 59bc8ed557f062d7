import pino, { type Logger, type LoggerOptions } from 'pino';
import { logCorrelation, mergeLogCorrelation } from './tracing.ts';

/** Paths pino blanks in every log line: secrets must never reach a log (CONVENTIONS, Security). */
export const redactedPaths = [
  'req.headers.authorization',
  'req.headers.dpop',
  'req.headers.cookie',
  'req.headers["idempotency-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.newPassword',
  '*.refresh_token',
  '*.access_token',
  '*.token',
  '*.secret',
  '*.altcha',
  'password',
  'refresh_token',
  'access_token',
  'secret',
];

export function loggerOptions(service: string, level: string): LoggerOptions {
  return {
    level,
    base: { service },
    redact: { paths: redactedPaths, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    // `trace_id` and `span_id` of the active span in every line logged within a traced context.
    mixin: logCorrelation,
    mixinMergeStrategy: mergeLogCorrelation,
  };
}

export function createLogger(service: string, level = 'info'): Logger {
  return pino(loggerOptions(service, level));
}

export type { Logger };
