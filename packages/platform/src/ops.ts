import { problemContentType } from '@onevote/contracts';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';
import { body as problemBody } from './problem.ts';
import { type ReadinessCheck, runChecks } from './readiness.ts';

export interface OpsServerOptions {
  service: string;
  logger: Logger;
  metrics: Metrics;
  /** What `/readyz` checks: every dependency the service needs to answer requests. */
  readiness: ReadinessCheck[];
}

export type OpsServer = FastifyInstance<
  import('node:http').Server,
  import('node:http').IncomingMessage,
  import('node:http').ServerResponse,
  Logger
>;

/**
 * The operations listener: `/healthz`, `/readyz` and `/metrics` on a port of their own, never the
 * public one. Probes and Prometheus reach it inside the cluster; no edge routes to it, so a path
 * trick on the public port (`/v1/x/..\..\metrics`) finds nothing (docs/security.md).
 */
export function createOpsServer(options: OpsServerOptions): OpsServer {
  const ops: OpsServer = Fastify({
    loggerInstance: options.logger.child({ listener: 'ops' }),
    logController: new LogController({ disableRequestLogging: true }),
  });
  ops.get('/healthz', async () => ({ status: 'ok', service: options.service }));
  ops.get('/readyz', async (request, reply) => {
    const report = await runChecks(options.readiness);
    if (report.ready) return { status: 'ready', service: options.service, checks: report.checks };
    reply.status(503).type(problemContentType);
    return {
      ...problemBody('unavailable', `Not ready: ${report.failing.join(', ')}`, request.id),
      checks: report.checks,
    };
  });
  ops.get('/metrics', async (_request, reply) => {
    reply.type(options.metrics.registry.contentType);
    return options.metrics.registry.metrics();
  });
  return ops;
}
