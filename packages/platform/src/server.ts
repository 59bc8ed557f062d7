import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { problemContentType } from '@onevote/contracts';
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import { AppError } from './errors.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';
import { clientAddress, type EdgeTrust, parseOriginSecrets } from './client-address.ts';
import { body as problemBody, toProblem } from './problem.ts';
import { markRequestFailure, traceRequests } from './trace-requests.ts';

export const bodyLimitBytes = 16 * 1024;
const requestIdPattern = /^[A-Za-z0-9._:-]{1,128}$/;

export interface ServerOptions {
  service: string;
  logger: Logger;
  metrics: Metrics;
  /** Comma-separated addresses or CIDRs whose `x-forwarded-*` headers are believed. */
  trustedProxies: string;
  /**
   * Comma-separated secrets CloudFront adds as `x-origin-verify`; a request that carries one is
   * believed about `cloudfront-viewer-address`. Empty: no CDN in front.
   */
  originSecret?: string;
  /**
   * How long a whole request (headers and body) may take, when a service takes bodies that stream
   * for minutes (voter rolls); default 30 s.
   */
  requestTimeoutMs?: number;
  /**
   * Whether an incoming `traceparent` continues its trace (default). The gateway, facing the
   * internet, starts every trace itself: a client must not choose which requests are sampled.
   */
  trustTraceparent?: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The client's address as the edge saw it: CloudFront's viewer address when the request proves
     * it came through CloudFront, else the socket or trusted-proxy address (`request.ip`). Every
     * per-client limit and risk rule keys on this, never on `request.ip`.
     */
    readonly clientIp: string;
  }
}

/** The whole-request timeout of the services a voter roll upload passes through (gateway, ballot). */
export const rollUploadTimeoutMs = 600_000;

/** Slow or idle clients must not hold a connection for ever (docs/security.md, resource limits). */
const timeouts = {
  /** Whole request received (headers and body) within this, or the socket is closed. */
  requestMs: 30_000,
  headersMs: 10_000,
  /** No byte either way for this long: the socket is closed. Streams send keepalives well inside it. */
  idleMs: 60_000,
  /** Longer than the ALB's 60 s idle timeout, so the load balancer always closes first. */
  keepAliveMs: 72_000,
};

export type App = FastifyInstance<
  import('node:http').Server,
  import('node:http').IncomingMessage,
  import('node:http').ServerResponse,
  Logger,
  TypeBoxTypeProvider
>;

/**
 * The Fastify instance every service starts from: problem+json errors, 404/405, a 16 KiB body
 * limit, `x-request-id` in and out, RED metrics per route, timeouts, and the client address. The
 * operations endpoints are on a listener of their own (`createOpsServer`).
 */
export function createServer(options: ServerOptions): App {
  const app = Fastify({
    loggerInstance: options.logger,
    // Per-request log lines cost more than the request at our rates; RED metrics count requests,
    // and errors are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: bodyLimitBytes,
    trustProxy: options.trustedProxies
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && requestIdPattern.test(given) ? given : randomUUID();
    },
    requestTimeout: options.requestTimeoutMs ?? timeouts.requestMs,
    connectionTimeout: timeouts.idleMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    // A URL that cannot be decoded (`%C3%28`) or a malformed request is a client error, answered
    // as problem+json like every other one (Fastify's own answer would be plain JSON).
    frameworkErrors: (err, request, reply) => {
      const { body, headers } = toProblem(err, request.id);
      void (reply as FastifyReply).status(body.status).headers(headers).type(problemContentType).send(body);
    },
    ajv: {
      // Unknown members and wrong types are refused, never silently dropped or coerced (I5).
      customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: true, allErrors: false },
    },
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as App;
  (app.server as Server).headersTimeout = timeouts.headersMs;

  const edge: EdgeTrust = { originSecrets: parseOriginSecrets(options.originSecret ?? '') };
  app.decorateRequest('clientIp', {
    getter(this: FastifyRequest) {
      return clientAddress(this, edge);
    },
  });

  // Only JSON is accepted; Fastify's default text/plain parser would let a wrong content type through.
  app.removeContentTypeParser('text/plain');

  // Bodies are UTF-8 JSON objects (API.md). Fastify's default parser decodes invalid UTF-8 to
  // U+FFFD and would store it, and lets a literal `null` skip body validation (I5): both are 400.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, raw, done) => {
    let text: string;
    try {
      text = utf8.decode(raw as Buffer);
    } catch {
      done(new AppError('invalid_request', { detail: 'The body is not valid UTF-8' }), undefined);
      return;
    }
    parseJson(request, text, (err, value) => {
      if (err) done(err, undefined);
      else if (value === null) done(new AppError('invalid_request', { detail: 'The body must be a JSON object' }), undefined);
      else done(null, value);
    });
  });

  const routePatterns: { method: string; pattern: RegExp }[] = [];
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const pattern = new RegExp(
      `^${route.url
        .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
        .replace(/:\w+/g, '[^/]+')
        .replace(/\*/g, '.*')}/?$`,
    );
    for (const method of methods) routePatterns.push({ method: String(method), pattern });
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  // A server span per request, when tracing is on (no hooks at all when it is off).
  traceRequests(app, { trustTraceparent: options.trustTraceparent ?? true });

  const { requests, duration } = options.metrics.http;
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const method = request.method;
    requests.inc({ method, route, status: reply.statusCode });
    duration.observe({ method, route }, reply.elapsedTime / 1000);
  });

  app.setErrorHandler((err, request, reply) => {
    const { body, headers, clientError } = toProblem(err, request.id);
    if (!clientError) markRequestFailure(request, err);
    if (!clientError) request.log.error({ err, url: request.routeOptions.url }, 'request failed');
    else if (body.status === 503) request.log.warn({ code: body.code, detail: body.detail }, 'unavailable');
    return reply.status(body.status).headers(headers).type(problemContentType).send(body);
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    const allowed = [
      ...new Set(
        routePatterns.filter((r) => r.pattern.test(path) && r.method !== request.method).map((r) => r.method),
      ),
    ];
    if (allowed.length > 0) {
      return sendProblem(reply, request, 'method_not_allowed', `${request.method} is not allowed here`, {
        allow: allowed.join(', '),
      });
    }
    return sendProblem(reply, request, 'not_found', `No route for ${request.method} ${path}`);
  });

  return app;
}

function sendProblem(
  reply: FastifyReply,
  request: FastifyRequest,
  code: 'not_found' | 'method_not_allowed',
  detail: string,
  headers: Record<string, string> = {},
) {
  const body = problemBody(code, detail, request.id);
  return reply.status(body.status).headers(headers).type(problemContentType).send(body);
}
