import { routes } from '@onevote/contracts';
import type { App } from '@onevote/platform';
import type { LogReader } from '../use-cases/read-log.ts';

const { logHead, logProof, logConsistency, logEntries, auditKeys } = routes;

// Heads change every second while ballots arrive; a CDN may hold one for a second. A proof or
// entries at a given signed size never change: they may be cached for good.
const fresh = { 'cache-control': 'public, max-age=1' };
const immutable = { 'cache-control': 'public, max-age=31536000, immutable' };

/** The public audit log (API.md, "Audit log"). */
export function logRoutes(app: App, reader: LogReader): void {
  app.get(logHead.url, { schema: { params: logHead.schema.params, response: logHead.schema.response } }, async (request, reply) => {
    reply.headers(fresh);
    return reader.head(request.params.id);
  });

  app.get(
    logProof.url,
    { schema: { params: logProof.schema.params, querystring: logProof.schema.querystring, response: logProof.schema.response } },
    async (request, reply) => {
      reply.headers(request.query.treeSize === undefined ? fresh : immutable);
      return reader.inclusion(request.params.id, request.query.receiptId, request.query.treeSize);
    },
  );

  app.get(
    logConsistency.url,
    {
      schema: {
        params: logConsistency.schema.params,
        querystring: logConsistency.schema.querystring,
        response: logConsistency.schema.response,
      },
    },
    async (request, reply) => {
      reply.headers(immutable);
      return reader.consistency(request.params.id, request.query.from, request.query.to);
    },
  );

  app.get(
    logEntries.url,
    { schema: { params: logEntries.schema.params, querystring: logEntries.schema.querystring, response: logEntries.schema.response } },
    async (request, reply) => {
      const answer = await reader.entries(request.params.id, request.query.start, request.query.end);
      // Entries below the signed size never change; a range that reaches past it may fill in.
      reply.headers(answer.entries.length === Number(request.query.end) - Number(request.query.start) ? immutable : fresh);
      return answer;
    },
  );

  app.get(auditKeys.url, { schema: { response: auditKeys.schema.response } }, async (_request, reply) => {
    reply.headers({ 'cache-control': 'public, max-age=60' });
    return reader.keys();
  });
}
