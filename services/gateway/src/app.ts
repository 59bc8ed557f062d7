import { existsSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { type Duplex, Readable } from 'node:stream';
import replyFrom from '@fastify/reply-from';
import fastifyStatic from '@fastify/static';
import { openApiDocument, problemContentType, securityHeaders } from '@onevote/contracts';
import {
  type App,
  AppError,
  bodyLimitBytes,
  createServer,
  injectTraceHeaders,
  type Logger,
  markFailure,
  type Metrics,
  problemBody,
  type ReadinessCheck,
  rollUploadTimeoutMs,
  type Span,
  SpanKind,
  trace,
  traceContext,
  tracer,
  tracingEnabled,
} from '@onevote/platform';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { configSchema } from './config.ts';
import { MailDirectory } from './adapters/mail-directory.ts';
import { devMailRoutes } from './http/dev-mail.ts';
import { normalPath, rollRoute, streamRoute, type Upstream, upstreamFor, webSocketRoute } from './http/routing.ts';
import { refuse, tunnelWebSocket } from './http/websocket-tunnel.ts';

export type GatewayConfig = Static<typeof configSchema>;

export interface GatewayDeps {
  config: GatewayConfig;
  logger: Logger;
  metrics: Metrics;
}

function upstreamUrls(config: GatewayConfig): Record<Upstream, string> {
  // An empty URL means that service is not deployed: its paths answer 503 and readiness skips it.
  return {
    identity: config.IDENTITY_URL,
    ballot: config.BALLOT_URL,
    'vote-api': config.VOTE_API_URL,
    results: config.RESULTS_URL,
    audit: config.AUDIT_URL,
  };
}

/** Readiness: every deployed upstream answers HTTP on its public port (any status below 500). */
export function upstreamChecks(config: GatewayConfig): ReadinessCheck[] {
  return Object.entries(upstreamUrls(config))
    .filter(([, url]) => url)
    .map(([name, url]) => ({
      name,
      check: async () => {
        const res = await fetch(`${url}/`, { signal: AbortSignal.timeout(1000) });
        await res.body?.cancel();
        if (res.status >= 500) throw new Error(`answered ${res.status}`);
      },
    }));
}

export async function buildApp({ config, logger, metrics }: GatewayDeps): Promise<App> {
  const upstreams = upstreamUrls(config);
  const app = createServer({
    service: 'gateway',
    logger,
    metrics,
    trustedProxies: config.TRUSTED_PROXIES,
    originSecret: config.ORIGIN_SECRET,
    // A voter roll of a million addresses streams in for longer than the usual 30 s.
    requestTimeoutMs: rollUploadTimeoutMs,
    // The edge: a client's traceparent would let it choose which requests are sampled.
    trustTraceparent: false,
  });

  // The proxied call's client span (below) ends with the answer, or when the client goes away.
  const proxySpans = new WeakMap<FastifyRequest, Span>();
  const endProxySpan = (request: FastifyRequest, status: number | undefined) => {
    const span = proxySpans.get(request);
    if (!span) return;
    proxySpans.delete(request);
    if (status !== undefined) span.setAttribute('http.response.status_code', status);
    span.end();
  };
  if (tracingEnabled()) {
    app.addHook('onResponse', async (request, reply) => endProxySpan(request, reply.statusCode));
    app.addHook('onRequestAbort', async (request) => endProxySpan(request, undefined));
  }

  // Browser security headers on every answer (static files, API, errors); CloudFront's response
  // headers policy sets the same ones in production.
  app.addHook('onRequest', async (_request, reply) => {
    reply.headers(securityHeaders);
  });

  // A body larger than the limit is refused here: proxied, the service's early 413 would race the
  // upload and reach the client as a 503 (the upstream closed the connection mid-body). A URL that
  // does not decode (`?status=%C3%28`) would make the proxy throw (500): it is a 400.
  // A voter roll (PUT .../roll) is the one body allowed to be large; it streams through unread.
  const isRollUpload = (request: FastifyRequest) => request.method === 'PUT' && rollRoute.test(request.url.split('?')[0]!);
  const limitOf = (request: FastifyRequest) => (isRollUpload(request) ? config.ROLL_MAX_BYTES : bodyLimitBytes);
  app.addHook('onRequest', async (request, reply) => {
    let problem: ReturnType<typeof problemBody> | undefined;
    const limit = limitOf(request);
    if (Number(request.headers['content-length'] ?? 0) > limit) {
      problem = problemBody('payload_too_large', `The body is larger than ${limit} bytes`, request.id);
    } else {
      try {
        decodeURIComponent(request.url);
      } catch {
        problem = problemBody('invalid_request', 'The URL is not valid percent-encoded UTF-8', request.id);
      }
    }
    if (problem) return reply.status(problem.status).header('connection', 'close').type(problemContentType).send(problem);
  });

  // Bodies pass through as streams; the owning service parses them. One without a length
  // (chunked) is read here up to the limit, for the same reason as above; a chunked roll upload
  // streams through, and ballot counts its bytes.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (request, payload, done) => {
    if (request.headers['content-length'] !== undefined || isRollUpload(request)) {
      done(null, payload);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    payload.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= bodyLimitBytes) chunks.push(chunk);
      else if (!settled) {
        settled = true;
        done(new AppError('payload_too_large', { detail: `The body is larger than ${bodyLimitBytes} bytes` }), undefined);
      }
    });
    payload.on('end', () => {
      if (!settled) done(null, Readable.from([Buffer.concat(chunks)]));
    });
    payload.on('error', (err) => {
      if (!settled) done(err, undefined);
      settled = true;
    });
  });

  // Long-lived streams (SSE, WebSocket) would hold shutdown open; they are cut on close and the
  // clients reconnect to another replica.
  const longLived = new Set<Duplex>();
  let streams = 0;
  app.addHook('preClose', async () => {
    for (const socket of longLived) socket.destroy();
  });
  const holdStream = (socket: Duplex) => {
    longLived.add(socket);
    streams++;
    socket.once('close', () => {
      longLived.delete(socket);
      streams--;
    });
  };

  const document = openApiDocument();
  app.get('/v1/openapi.json', async () => document);

  // What the local mail catcher caught, for a developer or a test to read a code from. Never in
  // production, whatever MAIL_DIR says: the messages hold voters' codes.
  const mail = config.NODE_ENV !== 'production' && config.MAIL_DIR ? new MailDirectory(config.MAIL_DIR) : undefined;
  devMailRoutes(app, mail);

  const proxy = async (request: FastifyRequest, reply: FastifyReply) => {
    const path = normalPath(request.url);
    if (path === undefined) {
      const body = problemBody('invalid_request', 'The path is not in normal form', request.id);
      return reply.status(400).type(problemContentType).send(body);
    }
    const upstream = upstreamFor(path);
    if (upstream && !upstreams[upstream]) {
      const body = problemBody('unavailable', `The ${upstream} service is not deployed`, request.id);
      return reply.status(503).header('retry-after', '5').type(problemContentType).send(body);
    }
    if (!upstream) {
      const body = problemBody('not_found', `No route for ${request.method} ${path}`, request.id);
      return reply.status(404).type(problemContentType).send(body);
    }
    const isStream = streamRoute.test(path);
    if (isStream) {
      if (streams >= config.MAX_STREAMS) {
        const body = problemBody('unavailable', 'This gateway holds as many result streams as it can', request.id);
        return reply.status(503).header('retry-after', '5').type(problemContentType).send(body);
      }
      holdStream(request.raw.socket);
    }
    // The upstream logs the same request id, and continues the trace from the proxied call's span.
    const passed: Record<string, string> = { 'x-request-id': request.id };
    if (tracingEnabled()) {
      const span = tracer.startSpan(`${request.method} ${upstream}`, {
        kind: SpanKind.CLIENT,
        attributes: { 'http.request.method': request.method, 'onevote.upstream': upstream, 'server.address': upstreams[upstream] },
      });
      proxySpans.set(request, span);
      injectTraceHeaders((key, value) => (passed[key] = value), trace.setSpan(traceContext.active(), span));
    }
    return reply.from(`${upstreams[upstream]}${request.url}`, {
      rewriteRequestHeaders: (req, headers) => {
        // Trace headers from the client are never passed on: the trace starts here.
        const { traceparent: _traceparent, tracestate: _tracestate, ...rest } = headers;
        return { ...rest, ...forwardedHeaders(req.raw as IncomingMessage, req.protocol, req.host), ...passed };
      },
      onError: (rep, { error }) => {
        const span = proxySpans.get(request);
        if (span) markFailure(span, error);
        request.log.warn({ upstream, err: error.message }, 'upstream failed');
        const body = problemBody('unavailable', `The ${upstream} service is not reachable`, request.id);
        rep.status(503).header('retry-after', '1').type(problemContentType).send(body);
      },
    });
  };

  // Two pools to the upstreams: one for ordinary calls, one only for result streams, which hold a
  // connection each for minutes. Sharing one pool, 512 idle streams would starve every snapshot read.
  await app.register(async (scope: FastifyInstance) => {
    await scope.register(replyFrom, {
      undici: { connections: 512, pipelining: 1, keepAliveTimeout: 60_000 },
      retryMethods: [],
    });
    scope.all('/v1/*', proxy);
    scope.all('/.well-known/*', proxy);
  });
  await app.register(async (scope: FastifyInstance) => {
    await scope.register(replyFrom, {
      // A stream is idle between frames: keepalives come every 15 s, well inside the body timeout.
      undici: { connections: config.MAX_STREAMS, pipelining: 1, bodyTimeout: 60_000 },
      retryMethods: [],
    });
    scope.get('/v1/elections/:id/results/stream', proxy);
    scope.get('/v1/elections/:id/operations/stream', proxy);
    scope.get('/v1/admin/operations/stream', proxy);
  });

  if (config.WEB_DIST && existsSync(config.WEB_DIST)) {
    await app.register(fastifyStatic, { root: config.WEB_DIST, wildcard: false, index: ['index.html'] });
    // A single-page app: unknown non-API paths get index.html and the browser router takes over.
    app.get('/*', (_request, reply) => reply.sendFile('index.html'));
  }

  // Upgrades: only `Upgrade: websocket` on the results WebSocket route is tunnelled, and only after
  // the upstream's 101. Anything else is answered 400 and its connection closed: a request carrying
  // `Connection: Upgrade` used to become a raw pipe to any service (request smuggling).
  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = normalPath(req.url ?? '');
    const isWebSocket = req.method === 'GET' && req.headers.upgrade?.toLowerCase() === 'websocket';
    if (!isWebSocket || path === undefined || !webSocketRoute.test(path)) {
      refuse(socket, 400, problemBody('invalid_request', 'Only WebSocket upgrades of the results WebSocket are accepted', ''));
      return;
    }
    if (!upstreams.results) {
      refuse(socket, 503, problemBody('unavailable', 'The results service is not deployed', ''), { 'retry-after': '5' });
      return;
    }
    if (streams >= config.MAX_STREAMS) {
      refuse(socket, 503, problemBody('unavailable', 'This gateway holds as many result streams as it can', ''), {
        'retry-after': '5',
      });
      return;
    }
    holdStream(socket);
    tunnelWebSocket(req, socket, head, {
      target: new URL(upstreams.results),
      forwarded: forwardedHeaders(req, 'http', req.headers.host ?? ''),
      logger,
    });
  });

  return app;
}

function forwardedHeaders(req: IncomingMessage, proto: string, host: string) {
  const prior = req.headers['x-forwarded-for'];
  const remote = req.socket.remoteAddress ?? '';
  return {
    'x-forwarded-for': prior ? `${prior}, ${remote}` : remote,
    'x-forwarded-proto': proto,
    'x-forwarded-host': host,
  };
}
