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
import { classify } from './upstreams/failures.ts';
import { LazyBody } from './upstreams/lazy-body.ts';
import type { Replica, ReplicaSet } from './upstreams/replicas.ts';
import { replicaOrigins, type Upstreams } from './upstreams/upstreams.ts';

export type GatewayConfig = Static<typeof configSchema>;

export interface GatewayDeps {
  config: GatewayConfig;
  logger: Logger;
  metrics: Metrics;
  /** The replicas behind the gateway, health-checked (service.ts starts and stops the checks). */
  upstreams: Upstreams;
}

/** Each upstream's replicas from the config; an empty list means that service is not deployed. */
export function upstreamOrigins(config: GatewayConfig): Record<Upstream, string[]> {
  return {
    identity: replicaOrigins(config.IDENTITY_URL),
    ballot: replicaOrigins(config.BALLOT_URL),
    'vote-api': replicaOrigins(config.VOTE_API_URL),
    results: replicaOrigins(config.RESULTS_URL),
    audit: replicaOrigins(config.AUDIT_URL),
  };
}

export async function buildApp({ config, logger, metrics, upstreams }: GatewayDeps): Promise<App> {
  const { sets } = upstreams;
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

  // The owning service parses bodies; the gateway only passes them on. One is read here whole (at
  // most 16 KiB: a longer declared length was refused above, a longer chunked body is cut here) and
  // passed on as one Buffer: a call refused by one replica can then go to another, and one write of
  // head and body costs the proxy less than piping a stream. A voter roll upload is the exception:
  // it streams through unread (ballot counts its bytes).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (request, payload, done) => {
    if (isRollUpload(request)) {
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
      if (!settled) done(null, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
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

  const unavailable = (reply: FastifyReply, request: FastifyRequest, detail: string, retryAfter: string) => {
    const body = problemBody('unavailable', detail, request.id);
    return reply.status(503).header('retry-after', retryAfter).type(problemContentType).send(body);
  };

  const proxy = async (request: FastifyRequest, reply: FastifyReply) => {
    const path = normalPath(request.url);
    if (path === undefined) {
      const body = problemBody('invalid_request', 'The path is not in normal form', request.id);
      return reply.status(400).type(problemContentType).send(body);
    }
    const upstream = upstreamFor(path);
    if (!upstream) {
      const body = problemBody('not_found', `No route for ${request.method} ${path}`, request.id);
      return reply.status(404).type(problemContentType).send(body);
    }
    const set = sets[upstream];
    if (!set) return unavailable(reply, request, `The ${upstream} service is not deployed`, '5');
    const isStream = streamRoute.test(path);
    if (isStream && streams >= config.MAX_STREAMS) {
      return unavailable(reply, request, 'This gateway holds as many result streams as it can', '5');
    }
    const replica = set.pick();
    if (!replica) return unavailable(reply, request, `No replica of the ${upstream} service is reachable`, '1');
    if (isStream) holdStream(request.raw.socket);
    // The upstream logs the same request id, and continues the trace from the proxied call's span.
    const passed: Record<string, string> = { 'x-request-id': request.id };
    if (tracingEnabled()) {
      const span = tracer.startSpan(`${request.method} ${upstream}`, {
        kind: SpanKind.CLIENT,
        attributes: { 'http.request.method': request.method, 'onevote.upstream': upstream, 'server.address': replica.origin },
      });
      proxySpans.set(request, span);
      injectTraceHeaders((key, value) => (passed[key] = value), trace.setSpan(traceContext.active(), span));
    }
    const body = request.body as Buffer | Readable | undefined;
    return send({ request, reply, set, replica, body, passed, retried: false });
  };

  interface Attempt {
    request: FastifyRequest;
    reply: FastifyReply;
    set: ReplicaSet;
    replica: Replica;
    /** The client's request body: read whole, a roll upload's stream, or none. */
    body: Buffer | Readable | undefined;
    passed: Record<string, string>;
    retried: boolean;
  }

  /**
   * Proxies the request to one replica. If no connection could be made (nothing was sent), it goes
   * once to another healthy replica, whatever the method; a call that reached a replica and then
   * failed is never sent again (a ballot could be counted twice): the client gets a 503 and retries
   * with its Idempotency-Key.
   */
  const send = (attempt: Attempt): FastifyReply => {
    const { request, set, replica, passed } = attempt;
    let body: { body: Buffer; contentType: string } | undefined;
    let stream: LazyBody | undefined;
    if (Buffer.isBuffer(attempt.body)) {
      const contentType = request.headers['content-type'];
      if (contentType) body = { body: attempt.body, contentType };
      // reply-from sends a Buffer only with a content type (it JSON-encodes it otherwise); without
      // one, as a stream, made anew for each attempt.
      else request.body = Readable.from([attempt.body]);
    } else if (attempt.body) {
      stream = new LazyBody(attempt.body);
      request.body = stream;
    }
    return attempt.reply.from(`${replica.origin}${request.url}`, {
      ...body,
      rewriteRequestHeaders: (req, headers) => {
        // Trace headers from the client are never passed on: the trace starts here.
        const { traceparent: _traceparent, tracestate: _tracestate, ...rest } = headers;
        return { ...rest, ...forwardedHeaders(req.raw as IncomingMessage, req.protocol, req.host), ...passed };
      },
      onError: (_reply, { error }) => {
        const failure = classify(error);
        upstreams.metrics.failed(set.upstream, replica.label, failure);
        if (failure !== 'other') replica.markDown(failure === 'not_connected' ? 'refused' : 'reset');
        const log = { upstream: set.upstream, replica: replica.label, failure, err: error.message };
        if (failure === 'not_connected' && !attempt.retried && !stream?.started) {
          const other = set.pick(replica);
          if (other) {
            upstreams.metrics.retried(set.upstream);
            request.log.warn({ ...log, retriedOn: other.label }, 'upstream not reachable; sent to another replica');
            proxySpans.get(request)?.setAttribute('server.address', other.origin);
            send({ ...attempt, replica: other, retried: true });
            return;
          }
        }
        const span = proxySpans.get(request);
        if (span) markFailure(span, error);
        request.log.warn(log, 'upstream failed');
        void unavailable(attempt.reply, request, `The ${set.upstream} service is not reachable`, '1');
      },
    });
  };

  // Two pools to the upstreams: one for ordinary calls, one only for result streams, which hold a
  // connection each for minutes. Sharing one pool, 512 idle streams would starve every snapshot read.
  await app.register(async (scope: FastifyInstance) => {
    await scope.register(replyFrom, {
      undici: { connections: 512, pipelining: 1, keepAliveTimeout: 60_000 },
      retryMethods: [],
      // Its two info lines per proxied call: the services log no requests either; failures are logged below.
      disableRequestLogging: true,
    });
    scope.all('/v1/*', proxy);
    scope.all('/.well-known/*', proxy);
  });
  await app.register(async (scope: FastifyInstance) => {
    await scope.register(replyFrom, {
      // A stream is idle between frames: keepalives come every 15 s, well inside the body timeout.
      undici: { connections: config.MAX_STREAMS, pipelining: 1, bodyTimeout: 60_000 },
      retryMethods: [],
      disableRequestLogging: true,
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
    const results = sets.results;
    if (!results) {
      refuse(socket, 503, problemBody('unavailable', 'The results service is not deployed', ''), { 'retry-after': '5' });
      return;
    }
    if (streams >= config.MAX_STREAMS) {
      refuse(socket, 503, problemBody('unavailable', 'This gateway holds as many result streams as it can', ''), {
        'retry-after': '5',
      });
      return;
    }
    let replica = results.pick();
    if (!replica) {
      refuse(socket, 503, problemBody('unavailable', 'No replica of the results service is reachable', ''), { 'retry-after': '1' });
      return;
    }
    holdStream(socket);
    tunnelWebSocket(req, socket, head, {
      target: new URL(replica.origin),
      forwarded: forwardedHeaders(req, 'http', req.headers.host ?? ''),
      logger,
      // Nothing of the upgrade reached a replica that refused the connection: another one may take it.
      failed: (err, mayRetry) => {
        const failure = classify(err);
        upstreams.metrics.failed('results', replica!.label, failure);
        if (failure !== 'other') replica!.markDown(failure === 'not_connected' ? 'refused' : 'reset');
        const other = failure === 'not_connected' && mayRetry ? results.pick(replica) : undefined;
        if (!other) return undefined;
        upstreams.metrics.retried('results');
        replica = other;
        return new URL(other.origin);
      },
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
