import { AppError, type RedisClient } from '@onevote/platform';
import {
  type IRateLimiterRes,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible';

export type Limiter = RateLimiterRedis;

/** For counters that never refuse: only their count is used (challenge levels). */
export const uncapped = 1_000_000_000;

/**
 * A fixed-window counter shared by every replica through Redis. If Redis is away, a per-process
 * counter stands in (insurance), so the limits still hold, per replica.
 */
export function limiter(
  redis: RedisClient,
  options: { prefix: string; name: string; points: number; duration: number; blockDuration?: number },
): Limiter {
  const settings = {
    keyPrefix: `${options.prefix}rl:${options.name}`,
    points: options.points,
    duration: options.duration,
    blockDuration: options.blockDuration ?? 0,
  };
  return new RateLimiterRedis({
    ...settings,
    storeClient: redis,
    insuranceLimiter: new RateLimiterMemory(settings),
  });
}

/** Points consumed so far in the key's window (0 when none). */
export async function countOf(limiter: Limiter, key: string): Promise<number> {
  return (await limiter.get(key))?.consumedPoints ?? 0;
}

export async function consumeOr429(limiter: Limiter, key: string, detail: string): Promise<number> {
  try {
    return (await limiter.consume(key)).consumedPoints;
  } catch (err) {
    if (err instanceof RateLimiterRes) throw rateLimited(err.msBeforeNext, detail);
    throw err;
  }
}

export function rateLimited(msBeforeNext: IRateLimiterRes['msBeforeNext'], detail: string): AppError {
  return new AppError('rate_limited', {
    detail,
    retryAfter: Math.max(1, Math.ceil((msBeforeNext ?? 1000) / 1000)),
  });
}
