import { problemContentType } from '@onevote/contracts';
import { type App, AppError, mailIdPattern, problemBody } from '@onevote/platform';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { MailDirectory } from '../adapters/mail-directory.ts';

/** At most this many messages per listing, the newest. */
export const mailListLimit = 100;

const listQuery = Type.Object(
  { to: Type.Optional(Type.String({ minLength: 1, maxLength: 320 })) },
  { additionalProperties: false },
);
const idParams = Type.Object({ id: Type.String({ pattern: mailIdPattern.source }) });
const listing = Type.Object({
  messages: Type.Array(
    Type.Object({
      id: Type.String(),
      from: Type.String(),
      to: Type.Array(Type.String()),
      subject: Type.String(),
      date: Type.String(),
      text: Type.String(),
    }),
  ),
});

/**
 * `GET /dev/mail` and `GET /dev/mail/:id`: what the local mail catcher caught (development only,
 * not part of the public API). Without a mail directory every `/dev/` path is a 404, as for any
 * unknown route: also when the web UI is served, whose catch-all would otherwise answer it.
 */
export function devMailRoutes(app: App, mail: MailDirectory | undefined): void {
  app.all('/dev/*', async (request, reply) => {
    const path = request.url.split('?')[0] ?? '/dev/';
    const body = problemBody('not_found', `No route for ${request.method} ${path}`, request.id);
    return reply.status(404).type(problemContentType).send(body);
  });
  if (!mail) return;

  app.get(
    '/dev/mail',
    { onRequest: noStore, schema: { querystring: listQuery, response: { 200: listing } } },
    async (request) => ({
      messages: await mail.list({ limit: mailListLimit, ...(request.query.to === undefined ? {} : { to: request.query.to }) }),
    }),
  );

  app.get('/dev/mail/:id', { onRequest: noStore, schema: { params: idParams } }, async (request, reply) => {
    const raw = await mail.raw(request.params.id);
    if (!raw) throw new AppError('not_found', { detail: 'No message with this id' });
    return reply.type('message/rfc822').send(raw);
  });
}

// Codes in these messages are as good as passwords: no cache may keep a copy (also of a refusal).
async function noStore(_request: FastifyRequest, reply: FastifyReply) {
  reply.header('cache-control', 'no-store');
}
