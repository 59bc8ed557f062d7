import { type ProblemBody, type ProblemCode, problemCatalogue, problemType } from '@onevote/contracts';
import { AppError } from './errors.ts';

interface FastifyLikeError {
  code?: string;
  statusCode?: number;
  validation?: unknown;
  validationContext?: string;
  message?: string;
}

// Fastify's own error codes that a client can cause, mapped onto our catalogue.
const fastifyCodes: Record<string, ProblemCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_request',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_request',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_request',
  FST_ERR_VALIDATION: 'invalid_request',
};

const byStatus: Record<number, ProblemCode> = {
  400: 'invalid_request',
  401: 'invalid_token',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'unavailable',
};

/**
 * The database is away, not the request at fault: the connection failed or was lost (postgres.js
 * codes; SQLSTATE class 08), the server is shutting down or starting (57P01-57P03), or the
 * connection is to a server that is no longer the primary (25006). During a failover every service
 * sees these for a few seconds: they are `503 unavailable` with Retry-After, never a 500.
 */
const databaseUnavailableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EPIPE',
  'CONNECTION_CLOSED',
  'CONNECTION_DESTROYED',
  'CONNECTION_ENDED',
  'CONNECT_TIMEOUT',
  '57P01',
  '57P02',
  '57P03',
  '25006',
]);

export function isDatabaseUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && (databaseUnavailableCodes.has(code) || /^08[0-9A-Z]{3}$/.test(code));
}

export interface MappedProblem {
  body: ProblemBody;
  headers: Record<string, string>;
  /** False for the errors a client did not cause: those are logged with their stack. */
  clientError: boolean;
}

/** Maps anything thrown in a request to the problem+json answer (RFC 9457); never leaks internals. */
export function toProblem(err: unknown, requestId: string): MappedProblem {
  if (err instanceof AppError) {
    return {
      body: body(err.code, err.detail, requestId, err.extra),
      headers: {
        ...(err.retryAfter !== undefined
          ? { 'retry-after': String(Math.max(1, Math.ceil(err.retryAfter))) }
          : {}),
        ...err.headers,
      },
      clientError: err.status < 500,
    };
  }
  const e = (err ?? {}) as FastifyLikeError;
  if (e.validation) {
    const where = e.validationContext ?? 'request';
    return {
      body: body('invalid_request', `${where}: ${e.message ?? 'invalid'}`, requestId),
      headers: {},
      clientError: true,
    };
  }
  const mapped =
    (e.code && fastifyCodes[e.code]) || (e.statusCode && e.statusCode < 500 && byStatus[e.statusCode]);
  if (mapped) {
    // Fastify's messages for these are about the request (size, JSON syntax), safe to show.
    return {
      body: body(mapped, e.message ?? problemCatalogue[mapped].title, requestId),
      headers: {},
      clientError: true,
    };
  }
  if (isDatabaseUnavailable(err)) {
    return {
      body: body('unavailable', 'A store this request needs is unavailable; try again shortly', requestId),
      headers: { 'retry-after': '1' },
      clientError: false,
    };
  }
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
    return {
      body: body('invalid_request', 'The request is not valid', requestId),
      headers: {},
      clientError: true,
    };
  }
  return {
    body: body('internal_error', 'An unexpected error occurred', requestId),
    headers: {},
    clientError: false,
  };
}

export function body(
  code: ProblemCode,
  detail: string,
  requestId: string,
  extra?: Record<string, unknown>,
): ProblemBody {
  const { status, title } = problemCatalogue[code];
  return { type: problemType(code), title, status, detail, code, requestId, ...extra };
}
