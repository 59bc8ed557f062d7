import type { RouteContract } from '@onevote/contracts';
import { AppError } from '@onevote/platform';
import { OptionalKind, type TSchema } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';

const isOptional = (schema: TSchema | undefined) =>
  schema !== undefined && (schema as unknown as Record<symbol, unknown>)[OptionalKind] === 'Optional';

/**
 * A route's schema as Fastify takes it. The contract writes `null` for "no JSON body" (204, streamed
 * exports): Fastify wants those statuses left out. An optional body (`EmptyBody`: none, or `{}`)
 * cannot be said in JSON Schema, because Fastify validates an absent body as `undefined`; it is
 * checked by `emptyBody` instead.
 */
export function schemaOf<S extends RouteContract['schema']>(schema: S): S {
  const response = Object.fromEntries(Object.entries(schema.response).filter(([, s]) => s !== null));
  const { body, ...rest } = schema;
  return { ...rest, ...(body && !isOptional(body) ? { body } : {}), response } as S;
}

/** preValidation for calls whose only input is the URL: no body, or an empty JSON object. */
export async function emptyBody(request: FastifyRequest): Promise<void> {
  const body = request.body;
  if (body === undefined || body === null) return;
  if (typeof body === 'object' && !Array.isArray(body) && Object.keys(body).length === 0) return;
  throw new AppError('invalid_request', { detail: 'body: this call takes no body (or {})' });
}
