import { type ProblemCode, problemCatalogue } from '@onevote/contracts';

export interface AppErrorOptions {
  detail?: string;
  cause?: unknown;
  /** Extra members of the problem body, e.g. `{ receiptId }` for `already_voted`. */
  extra?: Record<string, unknown>;
  /** Seconds; sent as `Retry-After` (429, 503). */
  retryAfter?: number;
  headers?: Record<string, string>;
}

/**
 * The one error type services throw for answers a client should see. It carries a stable code from
 * the catalogue; the HTTP status is looked up at the edge, so domain code never names a status.
 */
export class AppError extends Error {
  readonly code: ProblemCode;
  readonly detail: string;
  readonly extra: Record<string, unknown> | undefined;
  readonly retryAfter: number | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(code: ProblemCode, options: AppErrorOptions = {}) {
    super(options.detail ?? problemCatalogue[code].title, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.detail = options.detail ?? problemCatalogue[code].title;
    this.extra = options.extra;
    this.retryAfter = options.retryAfter;
    this.headers = options.headers;
  }

  get status(): number {
    return problemCatalogue[this.code].status;
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}
