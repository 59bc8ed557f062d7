import type { Problem } from './types.ts';

/** An answer that is not 2xx, with its problem body and `Retry-After` (seconds) when present. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly problem: Problem,
    readonly retryAfter?: number,
  ) {
    super(problem.detail || problem.title || problem.code);
  }
  get code() {
    return this.problem.code;
  }
  get status() {
    return this.problem.status;
  }
}

/** The request never got an HTTP answer (offline, connection reset). */
export class NetworkError extends Error {
  override readonly name = 'NetworkError';
}

function retryAfterSeconds(res: Response): number | undefined {
  const value = res.headers.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

export async function toApiError(res: Response): Promise<ApiError> {
  let body: Partial<Problem> = {};
  try {
    body = (await res.json()) as Partial<Problem>;
  } catch {
    // Not problem+json (a proxy page, an empty body): the status alone tells what happened.
  }
  const fallback =
    res.status === 429
      ? 'rate_limited'
      : res.status === 503 || res.status === 504
        ? 'unavailable'
        : res.status >= 500
          ? 'internal_error'
          : 'http_error';
  return new ApiError(
    { ...body, status: res.status, code: typeof body.code === 'string' ? body.code : fallback },
    retryAfterSeconds(res),
  );
}

export async function send(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    throw new NetworkError('The server could not be reached', { cause: err });
  }
}

export async function json<T>(res: Response): Promise<T> {
  if (!res.ok) throw await toApiError(res);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/** An absolute URL on this origin; proofs name it in `htu`. */
export function apiUrl(path: string): string {
  return new URL(path, location.origin).toString();
}
