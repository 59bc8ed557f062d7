import type { Authenticator, Principal } from '@onevote/auth';
import { IdParams, routes } from '@onevote/contracts';
import { type App, AppError } from '@onevote/platform';
import type { FastifyRequest } from 'fastify';
import type { LiveResults } from '../live-results/live-results.ts';
import type { ResultsMetrics } from '../metrics.ts';
import { type Viewer, viewResults } from '../use-cases/view-results.ts';
import { SseStream, type StreamLimits, type StreamRegistry, streamLifetimeMs, WsStream } from './streams.ts';

export interface ResultsRouteDeps {
  live: LiveResults;
  authenticator: Authenticator;
  streams: StreamRegistry;
  metrics: ResultsMetrics;
  limits: StreamLimits;
  sseRetryMs: number;
  /** A stream is ended after about this long; the client reconnects (with Last-Event-ID). */
  maxStreamLifetimeSeconds: number;
  /** How often an admin's stream re-checks that its token is neither revoked nor expired. */
  adminRecheckMs: number;
}

// Public results may sit in a CDN for a second; a request with a token is keyed apart (an admin's
// live view of hidden results must not be served from, or into, the shared cache).
const publicCache = { 'cache-control': 'public, max-age=1', vary: 'authorization' };
const privateCache = { 'cache-control': 'private, no-store', vary: 'authorization' };

/** Only a request that carries a token is authenticated; an admin's token shows hidden results. */
async function viewerOf(
  request: FastifyRequest,
  authenticator: Authenticator,
): Promise<Viewer & { principal?: Principal }> {
  if (request.headers.authorization === undefined) return { admin: false };
  const principal = await authenticator.authenticate(request);
  return { admin: principal.roles.includes('admin'), principal };
}

function ifNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const bare = etag.replace(/^W\//, '');
  return header.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t.replace(/^W\//, '') === bare;
  });
}

/** `Last-Event-ID` as sent back by EventSource: the version of the last frame the client saw. */
function lastEventId(header: string | string[] | undefined): number {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value || !/^\d{1,15}$/.test(value)) return -1;
  return Number(value);
}

// The WebSocket handler runs after its preHandler; the viewer's token is handed over here.
const principals = new WeakMap<FastifyRequest, Principal | undefined>();

export function resultsRoutes(app: App, deps: ResultsRouteDeps): void {
  const { live, authenticator, streams, metrics, limits } = deps;
  const params = { params: IdParams };
  const retryHint = Buffer.from(`retry: ${deps.sseRetryMs}\n\n`);

  /** Refuses a stream past the process's or the client's cap, before anything is held for it. */
  const admit = (request: FastifyRequest) => {
    const refusal = streams.refusal(request.clientIp);
    if (refusal === 'process_full') {
      throw new AppError('unavailable', { detail: 'this results process holds as many streams as it can', retryAfter: 5 });
    }
    if (refusal === 'client_full') {
      throw new AppError('rate_limited', { detail: 'too many open result streams from this address', retryAfter: 10 });
    }
  };

  /**
   * Ends a stream after its lifetime (the client reconnects; Last-Event-ID means no frame is
   * repeated) and, for an admin seeing hidden results, as soon as the token expires or is revoked.
   */
  const bound = (end: () => void, principal: Principal | undefined): (() => void) => {
    const timers: NodeJS.Timeout[] = [setTimeout(end, streamLifetimeMs(deps.maxStreamLifetimeSeconds))];
    if (principal?.roles.includes('admin')) {
      timers.push(setTimeout(end, Math.max(0, principal.expiresAt * 1000 - Date.now())));
      timers.push(
        setInterval(() => {
          authenticator.assertNotRevoked(principal).catch(end);
        }, deps.adminRecheckMs),
      );
    }
    for (const t of timers) t.unref();
    return () => {
      for (const t of timers) clearTimeout(t);
    };
  };

  app.get<{ Params: { id: string } }>(routes.results.url, { schema: params }, async (request, reply) => {
    const viewer = await viewerOf(request, authenticator);
    const snapshot = await viewResults(live, request.params.id, viewer);
    const hidden = live.config(request.params.id)?.resultsVisibility === 'after_close';
    const cache =
      viewer.admin && hidden && snapshot.document.status !== 'closed' ? privateCache : publicCache;
    reply.headers({ ...cache, etag: snapshot.etag });
    if (ifNoneMatch(request.headers['if-none-match'], snapshot.etag)) return reply.status(304).send();
    return reply.type('application/json; charset=utf-8').send(snapshot.json);
  });

  app.get<{ Params: { id: string } }>(
    routes.resultsStream.url,
    { schema: params, exposeHeadRoute: false },
    async (request, reply) => {
      const viewer = await viewerOf(request, authenticator);
      // Errors (404, 403, 429, 503) are answered as problem+json before the stream starts.
      await viewResults(live, request.params.id, viewer);
      admit(request);
      reply.hijack();
      const res = reply.raw;
      request.raw.socket.setTimeout(0);
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-accel-buffering': 'no',
        'x-request-id': request.id,
      });
      res.write(retryHint);
      // I4: the first frame goes out at once, unless the client already has this version.
      const stream = new SseStream(res, lastEventId(request.headers['last-event-id']), limits, metrics);
      const unregister = streams.add(stream, request.clientIp);
      const leave = metrics.electionViewers.add(request.params.id, 'sse');
      const unbound = bound(() => stream.close(), viewer.principal);
      let unsubscribe: (() => void) | undefined;
      let gone = false;
      res.on('close', () => {
        gone = true;
        unbound();
        unsubscribe?.();
        unregister();
        leave();
      });
      try {
        const remove = await live.subscribe(request.params.id, stream);
        if (gone) remove();
        else unsubscribe = remove;
      } catch {
        stream.close();
      }
    },
  );

  app.get<{ Params: { id: string } }>(
    routes.resultsWs.url,
    {
      websocket: true,
      schema: params,
      exposeHeadRoute: false,
      // Runs before the upgrade: a refusal is an ordinary problem+json answer, not a WebSocket.
      preHandler: async (request) => {
        const viewer = await viewerOf(request, authenticator);
        await viewResults(live, request.params.id, viewer);
        admit(request);
        principals.set(request, viewer.principal);
      },
    },
    async (socket, request) => {
      const stream = new WsStream(socket, limits, metrics);
      const unregister = streams.add(stream, request.clientIp);
      const leave = metrics.electionViewers.add(request.params.id, 'ws');
      const unbound = bound(() => stream.close(), principals.get(request));
      let unsubscribe: (() => void) | undefined;
      let gone = false;
      socket.on('close', () => {
        gone = true;
        unbound();
        unsubscribe?.();
        unregister();
        leave();
      });
      // The stream is one-way; whatever a client sends is ignored (maxPayload bounds it).
      socket.on('message', () => {});
      try {
        const remove = await live.subscribe(request.params.id, stream);
        if (gone) remove();
        else unsubscribe = remove;
      } catch {
        socket.close(1011, 'results unavailable');
      }
    },
  );
}
