import { AppError } from '@onevote/platform';
import type { FastifyRequest } from 'fastify';

/**
 * preValidation for calls whose only input is the caller (contracts' `EmptyBody`: none, or `{}`).
 * JSON Schema cannot say "absent or {}" as Fastify validates bodies, so it is checked here (as the
 * ballot service does).
 */
export async function emptyBody(request: FastifyRequest): Promise<void> {
  const body = request.body;
  if (body === undefined || body === null) return;
  if (typeof body === 'object' && !Array.isArray(body) && Object.keys(body).length === 0) return;
  throw new AppError('invalid_request', { detail: 'body: this call takes no body (or {})' });
}
