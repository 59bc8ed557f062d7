import type { ServerResponse } from 'node:http';
import { routes } from '@onevote/contracts';
import type { App } from '@onevote/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Snapshot } from '../domain/operations.ts';
import type { Elections } from '../use-cases/elections.ts';
import type { OperationsMonitor } from '../use-cases/operations.ts';
import type { Access } from './access.ts';
import { schemaOf } from './contract.ts';

export interface OperationsRouteDeps {
  operations: OperationsMonitor;
  elections: Elections;
  access: Access;
  /** How often a stream's admin token is checked against the revocation list. */
  recheckMs: number;
  /** The client's reconnection delay (`retry:`). */
  retryMs: number;
}

const frame = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

/**
 * The admin operations view (API.md, Operations): a one-shot snapshot and an SSE stream of one
 * frame a second, overall and per election. Every viewer is a listener on the one scrape loop.
 */
export function operationsRoutes(app: App, deps: OperationsRouteDeps): void {
  const { operations, elections, access } = deps;
  const open = new Set<() => void>();
  // Long-lived streams would hold close() open until the shutdown timeout: end them first.
  app.addHook('preClose', async () => {
    operations.stop();
    for (const end of open) end();
  });

  const stream = (request: FastifyRequest, reply: FastifyReply, electionId: string | null) => {
    const principal = access.principal(request)!;
    reply.hijack();
    const res: ServerResponse = reply.raw;
    request.raw.socket.setTimeout(0);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
      'x-request-id': request.id,
    });
    res.write(`retry: ${deps.retryMs}\n\n`);
    res.write(frame('history', operations.history(electionId)));
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      res.end();
    };
    open.add(end);
    // A viewer that stops reading is cut, not buffered for: a frame a second adds up.
    const unsubscribe = operations.subscribe(electionId, (snapshot: Snapshot) => {
      if (ended) return;
      if (res.writableLength > 256 * 1024) {
        res.destroy();
        return;
      }
      res.write(frame('operations', snapshot));
    });
    // The stream lives as long as the token, and not past a revocation (checked every recheckMs).
    const timers = [
      setTimeout(end, Math.max(0, principal.expiresAt * 1000 - Date.now())),
      setInterval(() => {
        access.authenticator.assertNotRevoked(principal).catch(end);
      }, deps.recheckMs),
    ];
    for (const t of timers) t.unref();
    res.on('close', () => {
      ended = true;
      open.delete(end);
      for (const t of timers) clearTimeout(t);
      unsubscribe();
    });
  };

  app.get(
    routes.operations.url,
    { schema: schemaOf(routes.operations.schema), onRequest: access.admin },
    async (_request, reply) => reply.header('cache-control', 'no-store').send(await operations.snapshot(null)),
  );

  app.get(
    routes.operationsStream.url,
    { schema: schemaOf(routes.operationsStream.schema), onRequest: access.admin, exposeHeadRoute: false },
    async (request, reply) => stream(request, reply, null),
  );

  app.get(
    routes.electionOperations.url,
    { schema: schemaOf(routes.electionOperations.schema), onRequest: access.admin },
    async (request, reply) => {
      // 404 for an election that does not exist (deleted ones too), before the loop starts.
      await elections.get(request.params.id, access.caller(request));
      return reply.header('cache-control', 'no-store').send(await operations.snapshot(request.params.id));
    },
  );

  app.get(
    routes.electionOperationsStream.url,
    { schema: schemaOf(routes.electionOperationsStream.schema), onRequest: access.admin, exposeHeadRoute: false },
    async (request, reply) => {
      await elections.get(request.params.id, access.caller(request));
      stream(request, reply, request.params.id);
    },
  );
}
