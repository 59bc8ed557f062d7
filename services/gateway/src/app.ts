import { existsSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { type Duplex, Readable } from 'node:stream';
import replyFrom from '@fastify/reply-from';
import fastifyStatic from '@fastify/static';
import { openApiDocument, problemContentType } from '@onevote/contracts';
import { type App, AppError, bodyLimitBytes, createServer, type Logger, type Metrics, problemBody } from '@onevote/platform';
import type { Static } from '@sinclair/typebox';
import type { configSchema } from './config.ts';
import { type Upstream, upstreamFor } from './routing.ts';

export interface GatewayDeps {
  config: Static<typeof configSchema>;
  logger: Logger;
  metrics: Metrics;
}

export async function buildApp({ config, logger, metrics }: GatewayDeps): Promise<App> {
  // An empty URL means that service is not deployed: its paths answer 503 and readiness skips it.
  const upstreams: Record<Upstream, string> = {
    identity: config.IDENTITY_URL,
    ballot: config.BALLOT_URL,
    'vote-api': config.VOTE_API_URL,
    results: config.RESULTS_URL,
  };
  const app = createServer({
    service: 'gateway',
    logger,
    metrics,
    trustedProxies: config.TRUSTED_PROXIES,
    readiness: Object.entries(upstreams)
      .filter(([, url]) => url)
      .map(([name, url]) => ({
        name,
        check: async () => {
          const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) });
          if (!res.ok) throw new Error(`healthz ${res.status}`);
        },
      })),
  });

  // A body larger than the limit is refused here: proxied, the service's early 413 would race the
  // upload and reach the client as a 503 (the upstream closed the connection mid-body). A URL that
  // does not decode (`?status=%C3%28`) would make the proxy throw (500): it is a 400.
  app.addHook('onRequest', async (request, reply) => {
    let problem: ReturnType<typeof problemBody> | undefined;
    if (Number(request.headers['content-length'] ?? 0) > bodyLimitBytes) {
      problem = problemBody('payload_too_large', `The body is larger than ${bodyLimitBytes} bytes`, request.id);
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
  // (chunked) is read here up to the limit, for the same reason as above.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (request, payload, done) => {
    if (request.headers['content-length'] !== undefined) {
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

  await app.register(replyFrom, {
    undici: { connections: 512, pipelining: 1, keepAliveTimeout: 60_000 },
    retryMethods: [],
  });

  // Long-lived streams (SSE, WebSocket) would hold shutdown open; they are cut on close and the
  // clients reconnect to another replica.
  const longLived = new Set<Duplex>();
  app.addHook('preClose', async () => {
    for (const socket of longLived) socket.destroy();
  });

  const document = openApiDocument();
  app.get('/v1/openapi.json', async () => document);

  const proxy = async (request: import('fastify').FastifyRequest, reply: import('fastify').FastifyReply) => {
    const path = request.url.split('?')[0] ?? '/';
    const upstream = upstreamFor(path);
    if (upstream && !upstreams[upstream]) {
      const body = problemBody('unavailable', `The ${upstream} service is not deployed`, request.id);
      return reply.status(503).header('retry-after', '5').type(problemContentType).send(body);
    }
    if (!upstream) {
      const body = problemBody('not_found', `No route for ${request.method} ${path}`, request.id);
      return reply.status(404).type(problemContentType).send(body);
    }
    if (request.headers.accept?.includes('text/event-stream')) {
      const socket = request.raw.socket;
      longLived.add(socket);
      socket.once('close', () => longLived.delete(socket));
    }
    return reply.from(`${upstreams[upstream]}${request.url}`, {
      rewriteRequestHeaders: (req, headers) => ({
        ...headers,
        ...forwardedHeaders(req.raw as IncomingMessage, req.protocol, req.host),
      }),
      onError: (rep, { error }) => {
        request.log.warn({ upstream, err: error.message }, 'upstream failed');
        const body = problemBody('unavailable', `The ${upstream} service is not reachable`, request.id);
        rep.status(503).header('retry-after', '1').type(problemContentType).send(body);
      },
    });
  };
  app.all('/v1/*', proxy);
  app.all('/.well-known/*', proxy);

  if (config.WEB_DIST && existsSync(config.WEB_DIST)) {
    await app.register(fastifyStatic, { root: config.WEB_DIST, wildcard: false, index: ['index.html'] });
    // A single-page app: unknown non-API paths get index.html and the browser router takes over.
    app.get('/*', (_request, reply) => reply.sendFile('index.html'));
  }

  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const upstream = upstreamFor((req.url ?? '/').split('?')[0] ?? '/');
    if (!upstream || !upstreams[upstream]) {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n');
      return;
    }
    tunnelUpgrade(req, socket, head, new URL(upstreams[upstream]), longLived, logger);
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

/**
 * WebSocket upgrades are tunnelled byte for byte: the request line and headers are replayed to the
 * upstream, then both sockets are piped. Backpressure is TCP's own.
 */
function tunnelUpgrade(
  req: IncomingMessage,
  client: Duplex,
  head: Buffer,
  target: URL,
  live: Set<Duplex>,
  logger: Logger,
) {
  const upstream: Socket = connect(Number(target.port), target.hostname, () => {
    const lines = [`${req.method} ${req.url} HTTP/1.1`];
    const fwd = forwardedHeaders(req, 'http', req.headers.host ?? '');
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i] ?? '';
      if (!name.toLowerCase().startsWith('x-forwarded-')) lines.push(`${name}: ${req.rawHeaders[i + 1]}`);
    }
    for (const [name, value] of Object.entries(fwd)) lines.push(`${name}: ${value}`);
    upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (head.length) upstream.write(head);
    client.pipe(upstream).pipe(client);
  });
  live.add(client);
  const close = () => {
    live.delete(client);
    client.destroy();
    upstream.destroy();
  };
  upstream.on('error', (err) => {
    logger.warn({ err: err.message }, 'websocket upstream failed');
    if (!upstream.readyState || upstream.connecting)
      client.end('HTTP/1.1 503 Service Unavailable\r\nretry-after: 1\r\n\r\n');
    close();
  });
  client.on('error', close);
  client.on('close', close);
  upstream.on('close', close);
}
