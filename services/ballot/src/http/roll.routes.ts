import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { routes } from '@onevote/contracts';
import { AppError, type App } from '@onevote/platform';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Rolls } from '../use-cases/rolls.ts';
import type { Access } from './access.ts';
import { schemaOf } from './contract.ts';

/** No address is this long (254 characters, quoted, in UTF-8): a longer line is not a roll. */
const maxLineBytes = 1024;

/**
 * `PUT /v1/elections/:id/roll` takes the CSV as a stream (only this route: its own content-type
 * parser in its own scope, so every other route keeps the 16 KiB JSON limit) and `GET` the summary.
 */
export function rollRoutes(app: App, deps: { rolls: Rolls; access: Access; maxBytes: number }) {
  const { rolls, access, maxBytes } = deps;

  app.register(async (plugin) => {
    const scope = plugin.withTypeProvider<TypeBoxTypeProvider>();
    scope.addContentTypeParser(['text/csv', 'text/plain'], (_request, payload, done) => done(null, payload));
    scope.put(
      routes.putRoll.url,
      {
        schema: schemaOf(routes.putRoll.schema),
        onRequest: access.admin,
        // Before a byte of the body is read (so is `rolls.replace`'s check of the election, since
        // the lines are read only after it).
        preValidation: async (request) => {
          const length = Number(request.headers['content-length'] ?? 0);
          if (length > maxBytes) throw new AppError('payload_too_large', { detail: `A roll upload has at most ${maxBytes} bytes` });
        },
      },
      async (request) => {
        if (!isStream(request.body)) throw new AppError('unsupported_media_type', { detail: 'a voter roll is text/csv' });
        return rolls.replace(request.params.id, csvLines(request.body, maxBytes), access.caller(request));
      },
    );
  });

  app.get(routes.getRoll.url, { schema: schemaOf(routes.getRoll.schema), onRequest: access.admin }, async (request) =>
    rolls.summary(request.params.id),
  );
}

function isStream(body: unknown): body is Readable {
  return typeof body === 'object' && body !== null && Symbol.asyncIterator in body;
}

/**
 * The lines of a streamed body, decoded as UTF-8 (a character split across chunks stays whole).
 * Memory holds one chunk and one line; a body or a line over its limit ends the upload.
 */
export async function* csvLines(body: AsyncIterable<Buffer | string>, maxBytes: number): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let bytes = 0;
  let rest = '';
  for await (const chunk of body) {
    bytes += chunk.length;
    if (bytes > maxBytes) throw new AppError('payload_too_large', { detail: `A roll upload has at most ${maxBytes} bytes` });
    const text = rest + (typeof chunk === 'string' ? chunk : decoder.write(chunk));
    const lines = text.split('\n');
    rest = lines.pop()!;
    if (rest.length > maxLineBytes) throw new AppError('invalid_request', { detail: `a line is longer than ${maxLineBytes} characters` });
    yield* lines;
  }
  rest += decoder.end();
  if (rest !== '') yield rest;
}
